package intake

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/envelope"
)

// FieldError is one problem with one field, in words for the reporter.
type FieldError struct {
	// Path names the field as in the JSON API and the form, for example
	// "victims[0].name".
	Path    string `json:"path"`
	Message string `json:"message"` // in English
	// Key is the message before its arguments are filled in ({0}, {1}...),
	// for translation.
	Key  string   `json:"-"`
	Args []string `json:"-"`
}

// Fill replaces {0}, {1}... in s with args.
func Fill(s string, args ...string) string {
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", a)
	}
	return s
}

// ValidationError lists every problem found in a report, in form order.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("report has %d invalid fields", len(e.Fields))
}

// Map returns the problems keyed by field path.
func (e *ValidationError) Map() map[string]string {
	m := make(map[string]string, len(e.Fields))
	for _, f := range e.Fields {
		if _, ok := m[f.Path]; !ok {
			m[f.Path] = f.Message
		}
	}
	return m
}

// Validator checks reports. It is safe for concurrent use.
type Validator struct {
	v   *validator.Validate
	now func() time.Time
}

// NewValidator returns a Validator; now gives the current time for date
// checks (nil means time.Now).
func NewValidator(now func() time.Time) *Validator {
	if now == nil {
		now = time.Now
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must(v.RegisterValidation("choice", func(fl validator.FieldLevel) bool {
		return slices.Contains(Choices[fl.Param()], fl.Field().String())
	}))
	must(v.RegisterValidation("country", func(fl validator.FieldLevel) bool {
		return country.Valid(fl.Field().String())
	}))
	must(v.RegisterValidation("monthdate", func(fl validator.FieldLevel) bool {
		return validMonthDate(fl.Field().String(), now())
	}))
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		r := sl.Current().Interface().(Report)
		if r.Consent.ContactPermission == "yes" && strings.TrimSpace(r.Submitter.ContactMethod) == "" {
			sl.ReportError(r.Submitter.ContactMethod, "submitter.contact_method", "ContactMethod", "contactmethod", "")
		}
	}, Report{})
	return &Validator{v: v, now: now}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

var monthDate = regexp.MustCompile(`^\d{4}-\d{2}(-\d{2})?$`)

// validMonthDate accepts YYYY-MM or YYYY-MM-DD, from 1945 (the UN's
// founding) to today.
func validMonthDate(s string, now time.Time) bool {
	if !monthDate.MatchString(s) {
		return false
	}
	layout := "2006-01-02"
	if len(s) == 7 {
		layout = "2006-01"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return false
	}
	return t.Year() >= 1945 && !t.After(now.Add(24*time.Hour))
}

// Validate checks r and returns a *ValidationError listing every problem,
// or nil. Leading and trailing white space is trimmed first, and dates are
// normalised (NormalizeMonthDate).
func (v *Validator) Validate(r *Report) error {
	trimStrings(reflect.ValueOf(r).Elem())
	for i := range r.Incidents {
		r.Incidents[i].Date = NormalizeMonthDate(r.Incidents[i].Date)
	}
	out := &ValidationError{}
	if bad := textError(r); bad != nil {
		// Text that cannot be stored is refused, never silently changed.
		out.Fields = bad.Fields
	}
	err := v.v.Struct(r)
	if err == nil {
		if len(out.Fields) > 0 {
			return out
		}
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err // a bug, not bad input
	}
	for _, fe := range ves {
		path := strings.TrimPrefix(fe.Namespace(), "Report.")
		if fe.Tag() == "contactmethod" {
			path = "submitter.contact_method"
		}
		key, args := message(path, fe)
		out.Fields = append(out.Fields, FieldError{Path: path, Message: Fill(key, args...), Key: key, Args: args})
	}
	return out
}

// ValidateRecord checks an intermediary's record; field paths start with
// "intermediary.".
func (v *Validator) ValidateRecord(rec *envelope.IntermediaryRecord) error {
	trimStrings(reflect.ValueOf(rec).Elem())
	rec.ConsentOn = NormalizeMonthDate(rec.ConsentOn)
	out := &ValidationError{}
	for _, p := range badText(reflect.ValueOf(rec).Elem(), "") {
		out.Fields = append(out.Fields, FieldError{Path: "intermediary." + p, Message: MsgBadText, Key: MsgBadText})
	}
	err := v.v.Struct(rec)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		if err == nil && len(out.Fields) > 0 {
			return out
		}
		return err
	}
	for _, fe := range ves {
		path := "intermediary." + fe.Field()
		key, args := message(path, fe)
		if fe.Tag() == "monthdate" {
			key, args = msgMonthDate, nil
		}
		out.Fields = append(out.Fields, FieldError{Path: path, Message: Fill(key, args...), Key: key, Args: args})
	}
	return out
}

// trimStrings trims white space from every string in v, recursively.
func trimStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(strings.TrimSpace(v.String()))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			trimStrings(v.Field(i))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			trimStrings(v.Index(i))
		}
	}
}

// genericPath turns "victims[3].roles[1]" into "victims[].roles[]".
var indexRE = regexp.MustCompile(`\[\d+\]`)

func genericPath(p string) string { return indexRE.ReplaceAllString(p, "[]") }

// fieldMessages are messages for particular fields, by generic path and
// tag, where the general message would be vague.
var fieldMessages = map[string]string{
	"state_concerned/required":                       "Please choose the State concerned, or “Not sure”.",
	"state_concerned/country":                        "Please choose a State from the list, or “Not sure”.",
	"victims/required":                               "Please tell us about at least one person or group who suffered the reprisal.",
	"victims/min":                                    "Please tell us about at least one person or group who suffered the reprisal.",
	"incidents/required":                             "Please describe at least one incident.",
	"incidents/min":                                  "Please describe at least one incident.",
	"incidents[].types/required":                     "Please choose at least one kind of reprisal.",
	"incidents[].types/min":                          "Please choose at least one kind of reprisal.",
	"incidents[].date/monthdate":                     "Please give at least the month and year, as YYYY-MM or YYYY-MM-DD (for example 2026-03), not in the future.",
	"incidents[].narrative/required":                 "Please describe what happened.",
	"victims[].name/required":                        "Please give a name or a pseudonym.",
	"cooperation.body_other/required_if":             "Please name the UN body or mechanism.",
	"cooperation.form/required":                      "Please describe how the person or group cooperated with the UN.",
	"consent.given_by_other/required_if":             "Please say who gave consent.",
	"consent.risks_understood/eq":                    "Please confirm that the risks have been explained and understood.",
	"consent.share_with_ohchr/eq":                    "We can only receive the report if you agree that it is shared with OHCHR.",
	"steps_taken.un_document_symbol/excluded_unless": "Give a document's symbol only if you answered “Yes”: change the answer, or empty this field.",
	"submitter.contact_method/contactmethod":         "Please tell us a safe way to reach you, or answer \"No\" to being contacted.",
}

// Generic messages, by validation tag.
const (
	msgChoose    = "Please choose an option."
	msgFill      = "Please fill in this field."
	msgMaxList   = "Please choose or list at most {0}."
	msgMaxChars  = "Please shorten this to at most {0} characters."
	msgMin       = "Please add at least {0}."
	msgChoice    = "Please choose one of the options offered."
	msgUnique    = "Each option can be chosen only once."
	msgMonthDate = "Please give a date as YYYY-MM or YYYY-MM-DD."
	msgCheck     = "Please check this field."
)

// MessageKeys lists every validation message, for the translation files.
func MessageKeys() []string {
	keys := []string{msgChoose, msgFill, msgMaxList, msgMaxChars, msgMin, msgChoice, msgUnique, msgMonthDate, msgCheck,
		msgFollowUpEmpty, msgFollowUpLong, MsgBadText}
	for _, m := range fieldMessages {
		if !slices.Contains(keys, m) {
			keys = append(keys, m)
		}
	}
	return keys
}

// message returns the message for a validation failure, with arguments.
func message(path string, fe validator.FieldError) (string, []string) {
	if m, ok := fieldMessages[genericPath(path)+"/"+fe.Tag()]; ok {
		return m, nil
	}
	isList := fe.Kind() == reflect.Slice
	switch fe.Tag() {
	case "required":
		if fe.Param() == "" && isChoice(fe) {
			return msgChoose, nil
		}
		return msgFill, nil
	case "required_if":
		return msgFill, nil
	case "max":
		if isList {
			return msgMaxList, []string{fe.Param()}
		}
		return msgMaxChars, []string{fe.Param()}
	case "min":
		return msgMin, []string{fe.Param()}
	case "choice":
		return msgChoice, nil
	case "unique":
		return msgUnique, nil
	case "monthdate":
		return msgMonthDate, nil
	}
	return msgCheck, nil
}

// isChoice reports whether a required field is a multiple-choice one.
func isChoice(fe validator.FieldError) bool {
	return choiceOfField(fe.StructNamespace()) != ""
}

// choiceFields maps a struct field namespace (without indexes), such as
// "Report.Victims.Kind", to its choice list name, for messages.
var choiceFields = func() map[string]string {
	m := map[string]string{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			ft := f.Type
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				walk(ft.Elem(), prefix+f.Name+".")
				continue
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, prefix+f.Name+".")
				continue
			}
			for _, part := range strings.Split(f.Tag.Get("validate"), ",") {
				if name, ok := strings.CutPrefix(part, "choice="); ok {
					m[prefix+f.Name] = name
				}
			}
		}
	}
	walk(reflect.TypeOf(Report{}), "Report.")
	return m
}()

func choiceOfField(structNS string) string {
	return choiceFields[indexRE.ReplaceAllString(structNS, "")]
}
