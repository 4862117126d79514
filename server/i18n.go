package server

import (
	"fmt"
	"io/fs"
	"net/http"

	"golang.org/x/text/language"

	"github.com/ohchr-reprisals/intake/internal/plural"
	"github.com/ohchr-reprisals/intake/web"
)

// uiLanguage is one language of the reporter pages.
type uiLanguage struct {
	Tag  string // BCP 47, as in the report's "language" field
	Name string // in the language itself
	RTL  bool
}

// uiLanguages are the six UN languages, in the order the switcher lists
// them (the UN's: Arabic, Chinese, English, French, Russian, Spanish).
var uiLanguages = []uiLanguage{
	{"ar", "العربية", true}, {"zh", "中文", false}, {"en", "English", false},
	{"fr", "Français", false}, {"ru", "Русский", false}, {"es", "Español", false},
}

var languageMatcher = language.NewMatcher([]language.Tag{
	language.English, language.Arabic, language.Chinese, language.French, language.Russian, language.Spanish,
})

// catalog holds the translations, by language, of every English string,
// and the English plural forms (internal/plural): a message with a count
// has one form per CLDR plural category of its language.
type catalog plural.Book

// loadCatalog reads the message files: one per language, English's
// holding only plural forms.
func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, l := range uiLanguages {
		b, err := fs.ReadFile(web.Messages, "messages/"+l.Tag+".json")
		if err != nil {
			return nil, fmt.Errorf("server: messages for %s: %w", l.Tag, err)
		}
		m, err := plural.Parse(l.Tag, b)
		if err != nil {
			return nil, fmt.Errorf("server: messages/%s.json: %w", l.Tag, err)
		}
		c[l.Tag] = m
	}
	return c, nil
}

// translate returns s in lang, in the plural form for the count among
// args, with {0}, {1}... replaced by args. A string without a translation
// stays in English.
func (c catalog) translate(lang, s string, args ...any) string {
	return plural.Book(c).Translate(lang, s, args...)
}

// negotiate picks the page language: ?lang= when it names one of ours (the
// switcher's links and every form's action carry it), else the browser's
// preference, else English.
func negotiate(r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		for _, l := range uiLanguages {
			if l.Tag == q {
				return q
			}
		}
	}
	tag, _ := language.MatchStrings(languageMatcher, r.Header.Get("Accept-Language"))
	base, _ := tag.Base()
	for _, l := range uiLanguages {
		if l.Tag == base.String() {
			return l.Tag
		}
	}
	return "en"
}

// goStrings are the translatable strings that Go code, not templates,
// puts on reporter pages. TestMessages checks every one is translated.
var goStrings = []string{
	// page titles
	"Report a reprisal", "Report received", "Come back to your report", "Your report", "Report already received",
	// a form sent again, or after its token expired
	expiredFormHeading, expiredFormText,
	// a form sent again while its first send is still arriving
	stillArrivingHeading, stillArrivingText,
	// a report refused because of the files sent with it
	filesNotSentText,
	// the steps of the report form
	"About you", "Who was harmed", "What happened", "Link to the UN", "Risk and consent", "Files, check and send",
	"Change", "Step {0} of {1}", followUpsAdded,
	// the error summary: "question: message", "person 1 – question"
	"{0}: {1}", "{0} – {1}",
	// the pages of NHRI and NGO staff
	"Sign in", "Cases", signInFailed, signInBusy,
	// proofs of receipt
	"Check a proof of receipt",
	// the form's banner when a report could not be stored
	notSavedHeading, notSavedText,
	// return visits
	wrongReceipt, badReceipt, pageExpired, visitEnded, addedVisitEnded, repliedStatus,
	// error pages
	hNotAllowed, hFileTooLarge, hTooManyFiles, hExpired, mExpired, hUnreadable, hTooLarge, mTooLarge,
	hUnsupported, hNotFoundPage, mNotFoundPage, mNotAllowed, hUnserved, hInternal, mInternal,
	// uploads that failed on the way
	hInterrupted, mInterrupted, hTooSlow, mTooSlow, hTryLater, mStopped, mBusy,
}
