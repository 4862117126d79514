// Loading: defaults, then the TOML file, then the environment (each
// variable named once, in the env tag of its field).

package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Duration is a time.Duration written as "30s" or "1h" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30s\" or \"5m\"", b)
	}
	d.Duration = v
	return nil
}

// MarshalText prints the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Load builds the configuration from defaults, the TOML file at path (if
// path is not empty) and the environment (getenv, usually os.Getenv). It
// does not validate: call Validate once everything is filled in.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := readBounded(path)
		if err != nil {
			return cfg, fmt.Errorf("config file: %w", err)
		}
		var file Config
		md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&file)
		if err != nil {
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return cfg, fmt.Errorf("config file %s: unknown key %q", path, und[0].String())
		}
		merge(&cfg, file, md)
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// merge copies into cfg every setting the file defined, section by
// section, leaving the others at their defaults. A list (such as teams) or
// a table of values (such as handlers.status_names) is replaced whole.
func merge(cfg *Config, file Config, md toml.MetaData) {
	mergeFields(reflect.ValueOf(cfg).Elem(), reflect.ValueOf(file), md, nil)
}

var durationType = reflect.TypeOf(Duration{})

func mergeFields(dst, src reflect.Value, md toml.MetaData, path []string) {
	for i := 0; i < dst.NumField(); i++ {
		f := dst.Type().Field(i)
		key := f.Tag.Get("toml")
		if key == "" || key == "-" || !f.IsExported() {
			continue
		}
		keyPath := append(append([]string(nil), path...), key)
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			mergeFields(dst.Field(i), src.Field(i), md, keyPath)
		} else if md.IsDefined(keyPath...) {
			dst.Field(i).Set(src.Field(i))
		}
	}
}

// applyEnv sets every field with an env tag whose variable is set. A
// team's fields are named after the team: REPRISALS_TEAM_<NAME>_ plus the
// tag (see teamEnvPrefix). Lists are comma-, space- or line-separated.
func applyEnv(cfg *Config, getenv func(string) string) error {
	var errs []error
	set := func(name string, f reflect.Value) {
		v := getenv(name)
		if v == "" {
			return
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(v)
		case reflect.Slice:
			f.Set(reflect.ValueOf(strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })))
		case reflect.Int, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(v, 10, f.Type().Bits())
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: not a whole number", name))
				return
			}
			f.SetInt(n)
		}
	}
	walkEnv(reflect.ValueOf(cfg).Elem(), "", set)
	for i := range cfg.Teams {
		walkEnv(reflect.ValueOf(&cfg.Teams[i]).Elem(), teamEnvPrefix(cfg.Teams[i].Name), set)
	}
	return errors.Join(errs...)
}

// walkEnv calls fn for every field of v (and of its nested sections) that
// has an env tag, with the variable's name.
func walkEnv(v reflect.Value, prefix string, fn func(name string, f reflect.Value)) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if name := f.Tag.Get("env"); name != "" {
			fn(prefix+name, v.Field(i))
		} else if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			walkEnv(v.Field(i), prefix, fn)
		}
	}
}

// teamEnvPrefix is the start of a team's environment variables: the team
// name in upper case with '-' as '_'.
func teamEnvPrefix(team string) string {
	return "REPRISALS_TEAM_" + strings.ToUpper(strings.ReplaceAll(team, "-", "_")) + "_"
}

// EnvVars returns every environment variable the configuration reads, a
// team's with <NAME> for the team's name, in field order.
func EnvVars() []string {
	var out []string
	collect := func(name string, _ reflect.Value) { out = append(out, name) }
	walkEnv(reflect.ValueOf(Config{}), "", collect)
	walkEnv(reflect.ValueOf(Team{}), "REPRISALS_TEAM_<NAME>_", collect)
	return out
}
