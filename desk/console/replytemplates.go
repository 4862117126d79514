package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Reply templates are reusable texts for replies to reporters, in the six
// UN languages. They live in a JSON file on the handler's computer (by
// default next to the session file), which the team keeps in common by
// sharing the file: a template is generic text, never case content, so
// it needs no encryption, and keeping it off the server means the server
// cannot change what handlers send to reporters.

// Limits on the templates file.
const (
	maxTemplates     = 200
	maxTemplateFile  = 4 << 20
	maxTemplateTitle = 200
)

// ReplyTemplate is one reusable reply.
type ReplyTemplate struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Language string `json:"language"`
	Text     string `json:"text"`
}

// Templates is the set of reply templates, kept in a file.
type Templates struct {
	path string
	mu   sync.Mutex
	list []ReplyTemplate
}

var templateID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// templateLanguages are the languages a template may be in.
var templateLanguages = []string{"ar", "zh", "en", "fr", "ru", "es"}

// defaultTemplates are offered until the team saves its own.
var defaultTemplates = []ReplyTemplate{
	{"received-en", "Acknowledgement", "en", "Thank you for your report. We have received it and are assessing it. We will write again here; please come back with your receipt code."},
	{"received-fr", "Accusé de réception", "fr", "Merci pour votre signalement. Nous l'avons reçu et l'examinons. Nous vous écrirons à nouveau ici ; revenez avec votre code de reçu."},
	{"received-es", "Acuse de recibo", "es", "Gracias por su denuncia. La hemos recibido y la estamos evaluando. Volveremos a escribirle aquí; vuelva con su código de recibo."},
	{"received-ar", "إشعار بالاستلام", "ar", "شكرًا على بلاغك. لقد تلقيناه ونقوم بتقييمه. سنكتب إليك هنا مرة أخرى؛ يرجى العودة باستخدام رمز الإيصال."},
	{"received-ru", "Подтверждение получения", "ru", "Благодарим вас за сообщение. Мы его получили и изучаем. Мы напишем вам здесь снова; пожалуйста, возвращайтесь с вашим кодом квитанции."},
	{"received-zh", "确认收到", "zh", "感谢您的报告。我们已收到并正在评估。我们会在这里再次回复您；请使用您的收据代码回来查看。"},
}

// LoadTemplates reads the templates file at path; a missing file gives
// the defaults.
func LoadTemplates(path string) (*Templates, error) {
	t := &Templates{path: path, list: slices.Clone(defaultTemplates)}
	if path == "" {
		return t, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTemplateFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxTemplateFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxTemplateFile)
	}
	var list []ReplyTemplate
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s is not a templates file: %w", path, err)
	}
	if len(list) > maxTemplates {
		return nil, fmt.Errorf("%s holds more than %d templates", path, maxTemplates)
	}
	for _, rt := range list {
		if err := rt.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	t.list = list
	return t, nil
}

func (rt ReplyTemplate) check() error {
	switch {
	case !templateID.MatchString(rt.ID):
		return errors.New(mTemplateID)
	case strings.TrimSpace(rt.Title) == "" || utf8.RuneCountInString(rt.Title) > maxTemplateTitle:
		return errors.New(mTemplateTitle)
	case !slices.Contains(templateLanguages, rt.Language):
		return errors.New(mTemplateLanguage)
	case strings.TrimSpace(rt.Text) == "" || utf8.RuneCountInString(rt.Text) > MaxText || !utf8.ValidString(rt.Text):
		return errors.New(mTemplateText)
	}
	return nil
}

const (
	mTemplateID       = "A template's identifier is lower-case letters, digits and dashes (at most 63)."
	mTemplateTitle    = "A template needs a title of at most 200 characters."
	mTemplateLanguage = "Choose the template's language."
	mTemplateText     = "A template needs a text of at most 10000 characters."
)

// List returns the templates, by language then title.
func (t *Templates) List() []ReplyTemplate {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := slices.Clone(t.list)
	slices.SortFunc(out, func(a, b ReplyTemplate) int {
		return strings.Compare(a.Language+a.Title, b.Language+b.Title)
	})
	return out
}

// Get returns a template by id.
func (t *Templates) Get(id string) (ReplyTemplate, bool) {
	for _, rt := range t.List() {
		if rt.ID == id {
			return rt, true
		}
	}
	return ReplyTemplate{}, false
}

// Put adds or replaces a template and saves the file.
func (t *Templates) Put(rt ReplyTemplate) error {
	if err := rt.check(); err != nil {
		return invalid(err.Error())
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	list := slices.DeleteFunc(slices.Clone(t.list), func(x ReplyTemplate) bool { return x.ID == rt.ID })
	if len(list) >= maxTemplates {
		return invalid("There are already {0} templates.", maxTemplates)
	}
	return t.save(append(list, rt))
}

// Delete removes a template and saves the file.
func (t *Templates) Delete(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.save(slices.DeleteFunc(slices.Clone(t.list), func(x ReplyTemplate) bool { return x.ID == id }))
}

// save writes the file atomically (0600) and keeps list.
func (t *Templates) save(list []ReplyTemplate) error {
	if t.path == "" {
		t.list = list
		return nil
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(t.path), 0o700); err != nil {
		return err
	}
	tmp := t.path + ".new"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, t.path); err != nil {
		return err
	}
	t.list = list
	return nil
}

// templatesPage lists and edits the templates.
type templatesPage struct {
	base
	List         []ReplyTemplate
	TplLanguages []option
	Edit         ReplyTemplate
	File         string
}

func (c *Console) showTemplates(w http.ResponseWriter, r *http.Request) error {
	p := templatesPage{base: c.base(r, "Reply templates"), List: c.cfg.Templates.List(), File: c.cfg.Templates.path}
	if rt, ok := c.cfg.Templates.Get(r.URL.Query().Get("edit")); ok {
		p.Edit = rt
	}
	for _, l := range templateLanguages {
		p.TplLanguages = append(p.TplLanguages, option{l, p.L("language", l), l == p.Edit.Language})
	}
	return c.render(w, http.StatusOK, "templates", p)
}

func (c *Console) saveTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, maxFormBody); err != nil {
		return err
	}
	var err error
	if id := r.PostFormValue("delete"); id != "" {
		err = c.cfg.Templates.Delete(id)
	} else {
		err = c.cfg.Templates.Put(ReplyTemplate{
			ID: strings.TrimSpace(r.PostFormValue("id")), Title: strings.TrimSpace(r.PostFormValue("title")),
			Language: r.PostFormValue("language"), Text: strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"),
		})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/templates", http.StatusSeeOther)
	return nil
}
