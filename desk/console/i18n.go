package console

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/internal/plural"
)

// The console speaks OHCHR's three working languages. English is the
// source text; messages/fr.json and messages/es.json map each English
// string to its French and its Spanish, and messages/en.json holds the
// English plural forms (one, other) of the strings with a count. A
// message with a count is an object of forms by CLDR plural category
// (internal/plural): French and Spanish one/other.
//
//go:embed messages/*.json
var messageFiles embed.FS

// languages are the console's languages, in the switcher's order.
var languages = []struct{ Tag, Name string }{{"en", "English"}, {"fr", "Français"}, {"es", "Español"}}

// knownLanguage reports whether tag is one of the console's languages.
func knownLanguage(tag string) bool {
	for _, l := range languages {
		if l.Tag == tag {
			return true
		}
	}
	return false
}

// catalog maps a language to its translations of the English strings.
type catalog plural.Book

// loadCatalog reads the message file of every language.
func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, l := range languages {
		name := "messages/" + l.Tag + ".json"
		b, err := messageFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		m, err := plural.Parse(l.Tag, b)
		if err != nil {
			return nil, fmt.Errorf("console: %s: %w", name, err)
		}
		c[l.Tag] = m
	}
	return c, nil
}

// translate returns s in lang, in the plural form for the count among
// args, with {0}, {1}... replaced by args; a string without a translation
// stays in English.
func (c catalog) translate(lang, s string, args ...any) string {
	return plural.Book(c).Translate(lang, s, args...)
}

// pick is translate without filling the placeholders (Tok fills them).
func (c catalog) pick(lang, s string, args ...any) string {
	return plural.Book(c).Pick(lang, s, args...)
}

// goStrings are the translatable strings that Go code, not templates,
// puts on pages. TestMessages checks every one is translated.
var goStrings = []string{
	// page titles
	"Inbox", "Case {0}", "Reply templates", "The console is closed", "Annual report", "Confirm the move",
	// the annual report
	mBadPeriod, "1 May {0} to 30 April {1}", "By State concerned", "By type of incident", "By UN body",
	"By role of the victims", "By consent to publication",
	"New and follow-up", "New cases (Annex I)", "Follow-up on earlier reports (Annex II)", "Sources per case", "{0} sources",
	// annex drafts and linked cases
	"Annex drafts", mLinkOther, mNotLinked,
	// a case on paper, sealed to a colleague
	mPaperRosterChanged, mPaperNoRoster, mPaperNobody, mPaperUnknown, mPaperTwice,
	// errors
	hFailed, mFailed, hNotFound, mNotFound, hBadForm, mBadForm, hTooLarge, mTooLarge, hNotAllowed, mNotAllowed,
	hNotReadable, mNotReadable, hInvalid, mChooseStatus, mNotAllowedMove, mNeedReason, mNeedOriginal, mBadUrgency, mBadDeadline,
	mBadAssignee, mEmptyText, mTemplateID, mTemplateTitle, mTemplateLanguage, mTemplateText, "There are already {0} templates.",
	// rosters and replies
	"A team roster changed", mReplyKeySwapped, mOrgMayRead, "Team roster", mNotInRoster, mUnsealedReplyKey,
	mNoSigningKey, mSignerNotInRoster, sigVerified, sigUnlisted, sigForged, sigUnsigned,
	// rekey: why something was left as it is
	mRekeyRunning, desk.WhyNotReply, desk.WhyUnsealedReply, desk.WhyNotFollowUp, desk.WhyNotNote, desk.WhyNotFile, desk.WhyReplyKeySwaped,
	// problems with a case, a note or a file
	problemNotForYou, problemTampered, problemBroken, problemNoteClosed, problemPending, problemMalformed, problemTooBig,
	hDownloadRefused, problemFileForeign, problemFileBroken,
	// structured entries
	mEntryRequired, mEntryDate, mEntryChoice, mEntryTooLong, mEntryControl, mEntryOther, mEntryBroken, hEntryRefused,
	"Suggested by the entry you added: {0}. Check it, then change the status.",
	"The entry you added suggests the status {0}, which this case cannot move to from {1}.",
	// inbox menus
	"Not recorded (older report)", "Invalid value",
	"All States", "Any urgency", "Not set", "Any status", "Anyone", "Unassigned",
}

// translatable returns every English string the console can show, for
// the completeness test.
func translatable(templates map[string]string) map[string]bool {
	keys := map[string]bool{}
	for _, src := range templates {
		for _, m := range templateString.FindAllStringSubmatch(src, -1) {
			if s, err := strconv.Unquote(`"` + m[1] + `"`); err == nil && s != "" {
				keys[s] = true
			}
		}
	}
	for _, labels := range []map[string]string{statusLabels, urgencyLabels, sortLabels, doneMessages, exclusionLabels, leftLabels} {
		for _, l := range labels {
			keys[l] = true
		}
	}
	for _, labels := range choiceLabels {
		for _, l := range labels {
			keys[l] = true
		}
	}
	for _, s := range goStrings {
		keys[s] = true
	}
	for _, s := range append(append(junkStrings(), bulkStrings()...), sgreport.Phrases...) {
		keys[s] = true
	}
	return keys
}

// templateString matches {{.T "..."}}, {{$p.T "..."}}, {{$.T "..."}} and
// the same with Tok.
var templateString = regexp.MustCompile(`\.(?:T|Tok) "((?:[^"\\]|\\.)*)"`)
