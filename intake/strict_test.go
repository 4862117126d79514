package intake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
)

func TestCheckJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // substring of the error; "" for none
	}{
		{"plain", `{"a":1,"b":{"a":2},"c":[{"a":1},{"a":1}]}`, ""},
		{"repeated key", `{"a":1,"a":2}`, `"a" twice`},
		{"repeated nested key", `{"x":[{"y":{"k":1,"k":{}}}]}`, `"k" twice`},
		{"repeated key after an object value", `{"a":{"b":1},"a":2}`, `"a" twice`},
		{"escaped spelling of the same key", `{"a\u0062":1,"ab":2}`, `"ab" twice`},
		{"colon and quotes inside strings", `{"a":"x\":y","b":"\"a\":1","c":["a",":"]}`, ""},
		{"same key in sibling objects", `[{"a":1},{"a":2}]`, ""},
		{"same object under a key in another case", `{"cooperation":{"body":"upr"},"Cooperation":{"body":"hrc_session"}}`, `"Cooperation" twice`},
		{"same nested key in capitals", `{"cooperation":{"body":"upr","BODY":"hrc_session"}}`, `"BODY" twice`},
		{"Kelvin sign folds to k", "{\"kind\":1,\"\u212aind\":2}", "twice"},
		{"long s folds to s", `{"status":1,"\u017ftatus":2}`, "twice"},
		{"same key in another case in sibling objects", `[{"a":1},{"A":2}]`, ""},
		{"white space before the colon", "{\"a\" \n: 1, \"a\"\t:2}", `"a" twice`},
		{"value equal to a key", `{"a":"a","b":"a"}`, ""},
		{"deep", strings.Repeat("[", intake.MaxJSONDepth+1) + strings.Repeat("]", intake.MaxJSONDepth+1), "nested"},
		{"deep enough", strings.Repeat("[", intake.MaxJSONDepth) + strings.Repeat("]", intake.MaxJSONDepth), ""},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "UTF-8"},
		{"NUL escape", `{"a":"\u0000"}`, "NUL"},
		{"lone low surrogate", `{"a":"\udc00"}`, "surrogate"},
		{"lone high surrogate", `{"a":"\ud800x"}`, "surrogate"},
		{"surrogate pair", `{"a":"\ud83d\ude00"}`, ""},
		{"escaped backslash before u", `{"a":"\\u0000"}`, ""},
		{"not JSON: left to the decoder", `{"a":1,"a"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := intake.CheckJSON([]byte(tt.in))
			var de *intake.DecodeError
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckJSON(%q) = %v, want nil", tt.in, err)
			case tt.want != "" && (!errors.As(err, &de) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckJSON(%q) = %v, want a DecodeError with %q", tt.in, err, tt.want)
			}
		})
	}
}
