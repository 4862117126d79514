package server_test

import (
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// TestPluralsOnReporterPages: the real server words counts on the
// reporter pages by the CLDR plural category of the page's language. The
// acknowledgement time (configured, 1 to 90 working days) in Arabic
// (one, two, few, many) and Russian (one, few, many), and the character
// limit of a field in Arabic, Russian and English.
func TestPluralsOnReporterPages(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	for _, tt := range []struct {
		days       int
		lang, want string
	}{
		{1, "ar", "في غضون يوم عمل واحد،"},
		{2, "ar", "في غضون يومَي عمل،"},
		{3, "ar", "في غضون 3 أيام عمل،"},
		{11, "ar", "في غضون 11 يوم عمل،"},
		{1, "ru", "в течение 1 рабочего дня,"},
		{21, "ru", "в течение 21 рабочего дня,"},
		{3, "ru", "в течение 3 рабочих дней,"},
		{11, "ru", "в течение 11 рабочих дней,"},
		{1, "en", "within 1 working day,"},
		{5, "en", "within 5 working days,"},
		{1, "fr", "dans un délai de 1 jour ouvrable,"},
		{2, "fr", "dans un délai de 2 jours ouvrables,"},
		{1, "es", "en un plazo de 1 día hábil,"},
		{1, "zh", "团队通常在 1 个工作日内确认收到报告"},
	} {
		e := newEnvWith(t, db, server.Options{AcknowledgeDays: tt.days})
		resp, b := e.do("GET", "/report?lang="+tt.lang, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s, %d days: status %d", tt.lang, tt.days, resp.StatusCode)
		}
		if got := text(byID(parseHTML(t, b), "what-next")); !strings.Contains(got, tt.want) {
			t.Errorf("%s, %d days: %q lacks %q", tt.lang, tt.days, got, tt.want)
		}
	}

	e := newEnvOn(t, db)
	r := intaketest.Report("upr")
	r.Victims[0].Gender = strings.Repeat("x", 201)
	v := formValues(r)
	for _, tt := range []struct{ lang, want, not string }{
		// 200 is "other" in Arabic: a genitive singular (حرف), not the
		// accusative of 11 to 99 (حرفاً) the page used to say.
		{"ar", "يرجى اختصار هذا النص إلى 200 حرف على الأكثر.", "حرفاً"},
		{"ru", "Сократите текст: максимум 200 символов.", ""},
		{"en", "Please shorten this to at most 200 characters.", ""},
		{"zh", "请将内容缩短至最多 200 个字符。", ""},
	} {
		resp, b := e.do("POST", "/report?lang="+tt.lang, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
		if resp.StatusCode != 422 {
			t.Fatalf("%s: status %d", tt.lang, resp.StatusCode)
		}
		got := text(byID(parseHTML(t, b), "victims[0].gender-error"))
		if !strings.Contains(got, tt.want) || (tt.not != "" && strings.Contains(got, tt.not)) {
			t.Errorf("%s: %q, want %q", tt.lang, got, tt.want)
		}
	}
}
