package junk_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/desk/junk"
)

func TestEmpty(t *testing.T) {
	tests := []struct {
		name, text string
		empty      bool
	}{
		{"nothing", "", true},
		{"white space", " \n\t\r\u00a0\u3000 ", true},
		{"zero-width spaces", "\u200b\u200c\u200d\ufeff", true},
		{"bidi controls", "\u202e\u202d\u2066\u2069\u200f", true},
		{"punctuation", "....!!! ??? --- ***", true},
		{"emoji", "🙂🙂🔥👍🏽", true},
		{"invalid UTF-8", "\xff\xfe\xfd", true},
		{"NUL bytes", "\x00\x00\x00", true},
		{"control characters", "\x1b\x07\x08\x7f\u0085", true},
		{"one letter", "a", false},
		{"Arabic-Indic digit", "٣", false},
		{"one Han character", "日", false},
		{"combining accent", "e\u0301", false},
		{"letter among junk", "\u200b\u202e🙂x\xff", false},
		{"Arabic", "اعتقل في منزله", false},
		{"full-width", "ＡＢＣ", false},
	}
	for _, tt := range tests {
		if got := junk.Sketch(tt.text).Empty(); got != tt.empty {
			t.Errorf("%s: Empty() = %v, want %v", tt.name, got, tt.empty)
		}
	}
	var nilSketch *junk.SketchOf
	if !nilSketch.Empty() || junk.Similarity(nilSketch, nilSketch) != 0 {
		t.Error("a nil sketch is not empty")
	}
}

// template is a machine-written narrative of 80-odd words.
const template = "On the morning of the twelfth the defender was followed from her home by two men in a grey car " +
	"who photographed her and her children and then waited outside the school until the afternoon when they told her " +
	"that if she went to Geneva again to speak at the Council her family would pay for it and that they knew where her " +
	"brother lived and worked and she reported this to the police who refused to register the complaint"

func TestNearIdentical(t *testing.T) {
	words := strings.Fields(template)
	oneWordChanged := slices.Clone(words)
	oneWordChanged[40] = "Lausanne"
	han := strings.Repeat("人权维护者在日内瓦发言后遭到警察跟踪和威胁其家人被传唤问话", 3)
	hanChanged := []rune(han)
	hanChanged[50] = '某'
	tests := []struct {
		name    string
		a, b    string
		similar bool
	}{
		{"same text", template, template, true},
		{"case, punctuation and spacing", "Buy CHEAP followers now!!! Visit example dot com today",
			"buy cheap followers, now -- visit   example.dot.com\ttoday", true},
		{"full-width letters", "ｂｕｙ ｃｈｅａｐ ｆｏｌｌｏｗｅｒｓ ｎｏｗ", "buy cheap followers now", true},
		{"zero-width spaces inside words", "fr\u200bee mon\u200bey for every\u200bone who clicks here",
			"free money for everyone who clicks here", true},
		{"bidi override around the text", "\u202e" + template + "\u202c", template, true},
		{"one word in eighty changed", template, strings.Join(oneWordChanged, " "), true},
		{"one Han character in ninety changed", han, string(hanChanged), true},
		{"Arabic, repeated spaces", "تم  اعتقال المدافع عن حقوق الإنسان بعد عودته من جنيف", "تم اعتقال المدافع عن حقوق الإنسان بعد عودته من جنيف", true},
		{"Cyrillic, upper and lower case", "ПРАВОЗАЩИТНИКА ЗАДЕРЖАЛИ ПОСЛЕ ВЫСТУПЛЕНИЯ В ЖЕНЕВЕ", "правозащитника задержали после выступления в женеве", true},
		{"short and different", "He was arrested.", "She was detained.", false},
		{"different reports", template, "The lawyer's office was searched and his files on the treaty body submission were taken; he was charged with spreading false information.", false},
		{"half the text", template, strings.Join(words[:len(words)/2], " "), false},
		{"different Han texts", han, strings.Repeat("记者的电脑被没收并被指控散布虚假信息以及与外国组织合作", 3), false},
		{"empty and empty", "", "   ", false},
		{"empty and text", "", template, false},
	}
	for _, tt := range tests {
		a, b := junk.Sketch(tt.a), junk.Sketch(tt.b)
		sim := junk.Similarity(a, b)
		if got := sim >= junk.Similar; got != tt.similar {
			t.Errorf("%s: similarity %.2f, want near-identical %v", tt.name, sim, tt.similar)
		}
		groups := junk.Groups([]*junk.SketchOf{a, b})
		if got := groups[0] == 2 && groups[1] == 2; got != tt.similar {
			t.Errorf("%s: groups %v, want together %v", tt.name, groups, tt.similar)
		}
	}
}

// TestGroupsAtScale plants three floods among 10,000 distinct narratives
// and finds exactly them.
func TestGroupsAtScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := strings.Fields(template + " arrested detained lawyer journalist council session treaty body report visa travel ban " +
		"passport airport court charges prison family relatives threatened smear online campaign hacked phone")
	distinct := func() string {
		w := make([]string, 40+rng.IntN(80))
		for i := range w {
			w[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	n := 10_000
	items := make([]*junk.SketchOf, n)
	want := make([]int, n)
	floods := []struct {
		text string
		size int
	}{{template, 300}, {"Congratulations you have won a prize claim it at the link below before midnight", 40}, {strings.Repeat("人权维护者遭到跟踪", 4), 7}}
	pos := rng.Perm(n)
	k := 0
	for _, f := range floods {
		for j := range f.size {
			// Each copy with one token of noise, as generators vary them.
			items[pos[k]] = junk.Sketch(fmt.Sprintf("%s %d", f.text, j%3))
			want[pos[k]] = f.size
			k++
		}
	}
	for ; k < n; k++ {
		items[pos[k]] = junk.Sketch(distinct())
		want[pos[k]] = 1
	}
	got := junk.Groups(items)
	wrong := 0
	for i := range got {
		if got[i] != want[i] {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d cases in the wrong group", wrong, n)
	}
}

func TestBursts(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 23, 55, 0, 0, time.UTC)
	at := func(minutes ...float64) []time.Time {
		out := make([]time.Time, len(minutes))
		for i, m := range minutes {
			out[i] = t0.Add(time.Duration(m * float64(time.Minute)))
		}
		return out
	}
	spread := func(count int, over float64) []float64 {
		out := make([]float64, count)
		for i := range out {
			out[i] = over * float64(i) / float64(max(1, count-1))
		}
		return out
	}
	tests := []struct {
		name   string
		times  []time.Time
		marked int
	}{
		{"none", nil, 0},
		{"ten within ten minutes", at(spread(10, 10)...), 10},
		{"ten at the same second", at(spread(10, 0)...), 10},
		{"nine within a minute", at(spread(9, 1)...), 0},
		{"ten over eleven minutes", at(spread(10, 11)...), 0},
		{"a burst among stragglers", at(append(spread(25, 5), -600, -300, 60, 600)...), 25},
		{"two bursts", at(append(spread(12, 3), append(spread(10, 2), 500)...)...), 22},
		{"a day of steady reports", at(spread(144, 1430)...), 0},
	}
	for _, tt := range tests {
		// The order given does not matter.
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(tt.times), func(i, j int) { tt.times[i], tt.times[j] = tt.times[j], tt.times[i] })
		got := junk.Bursts(tt.times, junk.BurstCount, junk.BurstWindow)
		n := 0
		for _, b := range got {
			if b {
				n++
			}
		}
		if n != tt.marked {
			t.Errorf("%s: %d marked, want %d", tt.name, n, tt.marked)
		}
	}
	// Unknown times are never in a burst, however many.
	zero := make([]time.Time, 50)
	if got := junk.Bursts(zero, junk.BurstCount, junk.BurstWindow); slices.Contains(got, true) {
		t.Error("unknown times make a burst")
	}
	// Times in other zones are the same instants.
	zoned := at(spread(10, 9)...)
	for i := range zoned {
		zoned[i] = zoned[i].In(time.FixedZone(fmt.Sprintf("z%d", i), (i-5)*3600))
	}
	if got := junk.Bursts(zoned, junk.BurstCount, junk.BurstWindow); slices.Contains(got, false) {
		t.Errorf("zones split a burst: %v", got)
	}
}

func TestNoState(t *testing.T) {
	for code, none := range map[string]bool{
		"": true, "unsure": true, "ZZ": true, "ua": true, "UA ": true, "\u202eUA": true, "UA": false, "PS": false, "KP": false,
	} {
		if junk.NoStateGiven(code) != none {
			t.Errorf("NoStateGiven(%q) = %v", code, !none)
		}
	}
}

func TestFind(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	var items []junk.Item
	for i := range 12 { // a burst of near-identical junk, with no State
		items = append(items, junk.Item{Narrative: template + fmt.Sprint(i%2), State: "unsure", ReceivedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	items = append(items,
		junk.Item{Narrative: " \u200b ", State: "UA", ReceivedAt: t0.Add(48 * time.Hour)},                                                // empty
		junk.Item{Narrative: "The lawyer was disbarred after the treaty body review.", State: "TR", ReceivedAt: t0.Add(-48 * time.Hour)}, // nothing
		junk.Item{Narrative: "Journalist's passport seized at the airport.", State: ""},                                                  // no State, no time
	)
	r := junk.Find(items, nil)
	want := map[junk.Flags]int{junk.Empty: 1, junk.NearIdentical: 12, junk.NoState: 13, junk.Burst: 12}
	for f, n := range want {
		if r.Count[f] != n {
			t.Errorf("flag %d: %d cases, want %d", f, r.Count[f], n)
		}
	}
	if !r.Flags[0].Has(junk.NearIdentical|junk.NoState|junk.Burst) || r.Group[0] != 12 {
		t.Errorf("the first junk case: flags %b, group %d", r.Flags[0], r.Group[0])
	}
	if r.Flags[13] != 0 || r.Group[13] != 0 {
		t.Errorf("a real report is flagged: %b", r.Flags[13])
	}
	sk := junk.Sketch(template)
	sk.Wipe()
	if !sk.Empty() {
		t.Error("a wiped sketch is not empty")
	}
}

// FuzzSketch: any text, hostile or not, sketches without panicking, and a
// text is near-identical to itself and to itself with zero-width spaces
// and a bidi override added, unless it is empty.
func FuzzSketch(f *testing.F) {
	for _, s := range []string{"", "a", template, "\xff\xfe", "日本語のテキスト", "e\u0301\u0301\u0301", "\ufdfa", strings.Repeat("x ", 5000), "\u202eabc\u202c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := junk.Sketch(s)
		if a.Empty() {
			return
		}
		if junk.Similarity(a, junk.Sketch(s)) != 1 {
			t.Fatalf("%q is not identical to itself", s)
		}
		if len(s) < junk.MaxText/2 {
			b := junk.Sketch("\u202e" + strings.ReplaceAll(s, " ", " \u200b") + "\u202c")
			if junk.Similarity(a, b) < junk.Similar {
				t.Fatalf("%q: zero-width spaces change the sketch (%.2f)", s, junk.Similarity(a, b))
			}
		}
	})
}
