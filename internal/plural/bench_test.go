package plural

import "testing"

// BenchmarkTranslate: a plain string and a plural message, as a page
// translates them.
func BenchmarkTranslate(b *testing.B) {
	ru, err := Parse("ru", []byte(`{"Hello {0}": "Привет {0}", "{0} cases": {"one": "{0} дело", "few": "{0} дела", "many": "{0} дел", "other": "{0} дела"}}`))
	if err != nil {
		b.Fatal(err)
	}
	book := Book{"ru": ru}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			book.Translate("ru", "Hello {0}", "Omar")
		}
	})
	b.Run("plural", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			book.Translate("ru", "{0} cases", i%100)
		}
	})
}
