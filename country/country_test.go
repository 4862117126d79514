package country

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestEveryCodeNamedInEveryLanguage checks the table's shape: ISO codes
// only, each with a name in all six languages, none with ISO's inverted
// "Name, Qualifier of" form in English.
func TestEveryCodeNamedInEveryLanguage(t *testing.T) {
	codes := Codes()
	if len(codes) < 249 {
		t.Fatalf("%d codes, want all 249 of ISO 3166-1", len(codes))
	}
	iso := regexp.MustCompile(`^[A-Z]{2}$`)
	inverted := regexp.MustCompile(`, .* of( the)?$`)
	for _, c := range codes {
		if !iso.MatchString(c) {
			t.Errorf("code %q is not an ISO 3166-1 alpha-2 code", c)
		}
		n, _ := Lookup(c)
		for _, lang := range Languages {
			if n.In(lang) == "" {
				t.Errorf("%s has no name in %s", c, lang)
			}
		}
		if inverted.MatchString(n.En) {
			t.Errorf("%s: %q is ISO's inverted form, not the UN's name", c, n.En)
		}
	}
	if isoCodesVersion == "" || isoCodesVersion == "unknown" {
		t.Errorf("the table does not say which iso-codes it came from")
	}
}

// TestUNNames checks the well-known States whose UN name differs from
// ISO's or from everyday usage, in every language.
func TestUNNames(t *testing.T) {
	tests := []struct {
		code string
		want Names
	}{
		{"KP", Names{"جمهورية كوريا الشعبية الديمقراطية", "Democratic People's Republic of Korea", "República Popular Democrática de Corea", "République populaire démocratique de Corée", "Корейская Народно-Демократическая Республика", "朝鲜民主主义人民共和国"}},
		{"KR", Names{"جمهورية كوريا", "Republic of Korea", "República de Corea", "République de Corée", "Республика Корея", "大韩民国"}},
		{"PS", Names{"دولة فلسطين", "State of Palestine", "Estado de Palestina", "État de Palestine", "Государство Палестина", "巴勒斯坦国"}},
		{"TR", Names{"تركيا", "Türkiye", "Türkiye", "Türkiye", "Турция", "土耳其"}},
		{"RU", Names{"الاتحاد الروسي", "Russian Federation", "Federación de Rusia", "Fédération de Russie", "Российская Федерация", "俄罗斯联邦"}},
		{"IR", Names{"إيران (جمهورية - الإسلامية)", "Iran (Islamic Republic of)", "Irán (República Islámica del)", "Iran (République islamique d')", "Иран (Исламская Республика)", "伊朗（伊斯兰共和国）"}},
		{"VE", Names{"فنزويلا (جمهورية - البوليفارية)", "Venezuela (Bolivarian Republic of)", "Venezuela (República Bolivariana de)", "Venezuela (République bolivarienne du)", "Венесуэла (Боливарианская Республика)", "委内瑞拉玻利瓦尔共和国"}},
		{"BO", Names{"بوليفيا (دولة - المتعددة القوميات)", "Bolivia (Plurinational State of)", "Bolivia (Estado Plurinacional de)", "Bolivie (État plurinational de)", "Боливия (Многонациональное Государство)", "多民族玻利维亚国"}},
		{"SY", Names{"الجمهورية العربية السورية", "Syrian Arab Republic", "República Árabe Siria", "République arabe syrienne", "Сирийская Арабская Республика", "阿拉伯叙利亚共和国"}},
		{"CD", Names{"جمهورية الكونغو الديمقراطية", "Democratic Republic of the Congo", "República Democrática del Congo", "République démocratique du Congo", "Демократическая Республика Конго", "刚果民主共和国"}},
		{"GB", Names{"المملكة المتحدة لبريطانيا العظمى وأيرلندا الشمالية", "United Kingdom of Great Britain and Northern Ireland", "Reino Unido de Gran Bretaña e Irlanda del Norte", "Royaume-Uni de Grande-Bretagne et d'Irlande du Nord", "Соединенное Королевство Великобритании и Северной Ирландии", "大不列颠及北爱尔兰联合王国"}},
		{"US", Names{"الولايات المتحدة الأمريكية", "United States of America", "Estados Unidos de América", "États-Unis d'Amérique", "Соединенные Штаты Америки", "美利坚合众国"}},
		{"VN", Names{"فييت نام", "Viet Nam", "Viet Nam", "Viet Nam", "Вьетнам", "越南"}},
		{"MD", Names{"جمهورية مولدوفا", "Republic of Moldova", "República de Moldova", "République de Moldova", "Республика Молдова", "摩尔多瓦共和国"}},
		{"TZ", Names{"جمهورية تنزانيا المتحدة", "United Republic of Tanzania", "República Unida de Tanzanía", "République-Unie de Tanzanie", "Объединенная Республика Танзания", "坦桑尼亚联合共和国"}},
		{"LA", Names{"جمهورية لاو الديمقراطية الشعبية", "Lao People's Democratic Republic", "República Democrática Popular Lao", "République démocratique populaire lao", "Лаосская Народно-Демократическая Республика", "老挝人民民主共和国"}},
		{"MM", Names{"ميانمار", "Myanmar", "Myanmar", "Myanmar", "Мьянма", "缅甸"}},
		{"BY", Names{"بيلاروس", "Belarus", "Belarús", "Bélarus", "Беларусь", "白俄罗斯"}},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.code)
		if !ok {
			t.Errorf("%s missing", tt.code)
			continue
		}
		for _, lang := range Languages {
			if g, w := got.In(lang), tt.want.In(lang); g != w {
				t.Errorf("%s in %s = %q, want the UN's %q", tt.code, lang, g, w)
			}
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		code         string
		known, valid bool
	}{
		{"UA", true, true}, {"KP", true, true}, {NotSure, false, true},
		{"", false, false}, {"ua", false, false}, {"XX", false, false}, {"UKR", false, false}, {"UNSURE", false, false},
		{" UA", false, false}, {"EU", false, false},
	}
	for _, tt := range tests {
		if got := Known(tt.code); got != tt.known {
			t.Errorf("Known(%q) = %v", tt.code, got)
		}
		if got := Valid(tt.code); got != tt.valid {
			t.Errorf("Valid(%q) = %v", tt.code, got)
		}
	}
	if Name(NotSure, "en") != "" || Name("XX", "fr") != "" {
		t.Error("Name of a non-State is not empty")
	}
	if Name("CI", "xx") != "Côte d'Ivoire" {
		t.Error("an unknown language does not fall back to English")
	}
}

// TestSorted checks each language's list is complete and in that
// language's order.
func TestSorted(t *testing.T) {
	tests := []struct {
		lang, first string
		before      [2]string // codes: [0] comes before [1]
	}{
		{"en", "AF", [2]string{"TR", "TM"}}, // Türkiye before Turkmenistan
		{"fr", "AF", [2]string{"EG", "AE"}}, // Égypte before Émirats, accents ignored
		{"es", "AF", [2]string{"DE", "AD"}}, // Alemania before Andorra
		{"ru", "AU", [2]string{"AT", "AZ"}}, // Австралия, Австрия, Азербайджан
		{"zh", "AL", [2]string{"AL", "AF"}}, // pinyin: 阿尔巴尼亚 (a'erbaniya) before 阿富汗 (afuhan)
		{"ar", "IE", [2]string{"AM", "AU"}}, // آيرلندا first; أرمينيا before أستراليا
		{"xx", "AF", [2]string{"AL", "DZ"}}, // unknown language: English
	}
	for _, tt := range tests {
		opts := Sorted(tt.lang)
		if len(opts) != len(table) {
			t.Fatalf("%s: %d options, want %d", tt.lang, len(opts), len(table))
		}
		codes := make([]string, len(opts))
		for i, o := range opts {
			codes[i] = o.Code
		}
		if i, j := slices.Index(codes, tt.before[0]), slices.Index(codes, tt.before[1]); i > j {
			t.Errorf("%s: %s is after %s", tt.lang, opts[i].Name, opts[j].Name)
		}
		if opts[0].Code != tt.first {
			t.Errorf("%s: first is %s, want %s", tt.lang, opts[0].Code, tt.first)
		}
	}
	a := Sorted("en")
	a[0].Name = "changed"
	if Sorted("en")[0].Name == "changed" {
		t.Error("Sorted returned its cache")
	}
}

// TestTableIsGenerated runs the generator on this machine's iso-codes and
// checks that the committed table is exactly its output: the table is
// never edited by hand, and names change only through the overrides.
func TestTableIsGenerated(t *testing.T) {
	if _, err := os.Stat("/usr/share/iso-codes/json/iso_3166-1.json"); err != nil {
		t.Fatalf("Debian's iso-codes is needed to check the table: apt-get install -y iso-codes (%v)", err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gen.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "gen.go")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "table.go"))
	want, _ := os.ReadFile("table.go")
	if !bytes.Equal(got, want) {
		t.Error("table.go is not what gen.go makes from this machine's iso-codes: run go generate ./country (and check the diff)")
	}
}
