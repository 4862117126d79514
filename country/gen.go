//go:build ignore

// gen writes table.go: every ISO 3166-1 alpha-2 code with the State's name
// in the six UN languages, from Debian's iso-codes package
// (/usr/share/iso-codes/json/iso_3166-1.json and the gettext translations
// under /usr/share/locale/LANG/LC_MESSAGES/iso_3166-1.mo), with the UN's
// short names applied over ISO's where they differ (overrides, below).
//
// Run it with 'go generate ./country' on a machine with iso-codes installed
// (apt-get install -y iso-codes); commit table.go.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"slices"
	"strings"
)

const (
	isoJSON = "/usr/share/iso-codes/json/iso_3166-1.json"
	moPath  = "/usr/share/locale/%s/LC_MESSAGES/iso_3166-1.mo"
)

// locales maps our language codes to the gettext locale of iso-codes.
var locales = map[string]string{"ar": "ar", "es": "es", "fr": "fr", "ru": "ru", "zh": "zh_CN"}

// overrides are the UN short names (UNTERM, the names used in UN documents
// such as the Secretary-General's reports) where ISO 3166 or its
// translations write the State differently, in the order ar, en, es, fr,
// ru, zh; "" keeps ISO's name in that language. Arabic names also lose
// the shadda and join the conjunction "و" to the next word, and Russian
// names write "е" for "ё", and French names put "Îles" first, as the UN
// does (normalize).
var overrides = map[string][6]string{
	"BO": {"بوليفيا (دولة - المتعددة القوميات)", "Bolivia (Plurinational State of)", "Bolivia (Estado Plurinacional de)", "Bolivie (État plurinational de)", "Боливия (Многонациональное Государство)", "多民族玻利维亚国"},
	"CD": {"جمهورية الكونغو الديمقراطية", "Democratic Republic of the Congo", "República Democrática del Congo", "République démocratique du Congo", "Демократическая Республика Конго", "刚果民主共和国"},
	"CG": {"الكونغو", "Congo", "Congo", "Congo", "Конго", "刚果"},
	"CI": {"كوت ديفوار", "Côte d'Ivoire", "Côte d'Ivoire", "Côte d'Ivoire", "Кот-д'Ивуар", "科特迪瓦"},
	"CZ": {"تشيكيا", "Czechia", "Chequia", "Tchéquie", "Чехия", "捷克"},
	"FM": {"ميكرونيزيا (ولايات - الموحدة)", "Micronesia (Federated States of)", "Micronesia (Estados Federados de)", "Micronésie (États fédérés de)", "Микронезия (Федеративные Штаты)", "密克罗尼西亚联邦"},
	"GB": {"المملكة المتحدة لبريطانيا العظمى وأيرلندا الشمالية", "United Kingdom of Great Britain and Northern Ireland", "Reino Unido de Gran Bretaña e Irlanda del Norte", "Royaume-Uni de Grande-Bretagne et d'Irlande du Nord", "Соединенное Королевство Великобритании и Северной Ирландии", "大不列颠及北爱尔兰联合王国"},
	"HK": {"الصين، منطقة هونغ كونغ الإدارية الخاصة", "China, Hong Kong Special Administrative Region", "China, región administrativa especial de Hong Kong", "Chine, région administrative spéciale de Hong Kong", "Китай, Специальный административный район Гонконг", "中国香港特别行政区"},
	"IR": {"إيران (جمهورية - الإسلامية)", "Iran (Islamic Republic of)", "Irán (República Islámica del)", "Iran (République islamique d')", "Иран (Исламская Республика)", "伊朗（伊斯兰共和国）"},
	"KP": {"جمهورية كوريا الشعبية الديمقراطية", "Democratic People's Republic of Korea", "República Popular Democrática de Corea", "République populaire démocratique de Corée", "Корейская Народно-Демократическая Республика", "朝鲜民主主义人民共和国"},
	"KR": {"جمهورية كوريا", "Republic of Korea", "República de Corea", "République de Corée", "Республика Корея", "大韩民国"},
	"LA": {"جمهورية لاو الديمقراطية الشعبية", "Lao People's Democratic Republic", "República Democrática Popular Lao", "République démocratique populaire lao", "Лаосская Народно-Демократическая Республика", "老挝人民民主共和国"},
	"MD": {"جمهورية مولدوفا", "Republic of Moldova", "República de Moldova", "République de Moldova", "Республика Молдова", "摩尔多瓦共和国"},
	"MK": {"مقدونيا الشمالية", "North Macedonia", "Macedonia del Norte", "Macédoine du Nord", "Северная Македония", "北马其顿"},
	"MO": {"الصين، منطقة ماكاو الإدارية الخاصة", "China, Macao Special Administrative Region", "China, región administrativa especial de Macao", "Chine, région administrative spéciale de Macao", "Китай, Специальный административный район Макао", "中国澳门特别行政区"},
	"NL": {"هولندا (مملكة -)", "Netherlands (Kingdom of the)", "Países Bajos (Reino de los)", "Pays-Bas (Royaume des)", "Нидерланды (Королевство)", "荷兰王国"},
	"PS": {"دولة فلسطين", "State of Palestine", "Estado de Palestina", "État de Palestine", "Государство Палестина", "巴勒斯坦国"},
	"RU": {"الاتحاد الروسي", "Russian Federation", "Federación de Rusia", "Fédération de Russie", "Российская Федерация", "俄罗斯联邦"},
	"SY": {"الجمهورية العربية السورية", "Syrian Arab Republic", "República Árabe Siria", "République arabe syrienne", "Сирийская Арабская Республика", "阿拉伯叙利亚共和国"},
	"SZ": {"إسواتيني", "Eswatini", "Eswatini", "Eswatini", "Эсватини", "斯威士兰"},
	"TR": {"تركيا", "Türkiye", "Türkiye", "Türkiye", "Турция", "土耳其"},
	"TZ": {"جمهورية تنزانيا المتحدة", "United Republic of Tanzania", "República Unida de Tanzanía", "République-Unie de Tanzanie", "Объединенная Республика Танзания", "坦桑尼亚联合共和国"},
	"US": {"الولايات المتحدة الأمريكية", "United States of America", "Estados Unidos de América", "États-Unis d'Amérique", "Соединенные Штаты Америки", "美利坚合众国"},
	"VA": {"الكرسي الرسولي", "Holy See", "Santa Sede", "Saint-Siège", "Святой Престол", "教廷"},
	"VE": {"فنزويلا (جمهورية - البوليفارية)", "Venezuela (Bolivarian Republic of)", "Venezuela (República Bolivariana de)", "Venezuela (République bolivarienne du)", "Венесуэла (Боливарианская Республика)", "委内瑞拉玻利瓦尔共和国"},
	"VG": {"جزر فرجن البريطانية", "British Virgin Islands", "Islas Vírgenes Británicas", "Îles Vierges britanniques", "Британские Виргинские острова", "英属维尔京群岛"},
	"VI": {"جزر فرجن التابعة للولايات المتحدة", "United States Virgin Islands", "Islas Vírgenes de los Estados Unidos", "Îles Vierges américaines", "Виргинские острова Соединенных Штатов", "美属维尔京群岛"},
	"VN": {"فييت نام", "Viet Nam", "Viet Nam", "Viet Nam", "Вьетнам", "越南"},

	// Corrections of single languages, where ISO's translation is not the
	// UN's name ("" keeps ISO's).
	"AE": {"", "", "", "", "Объединенные Арабские Эмираты", "阿拉伯联合酋长国"},
	"BD": {"بنغلاديش", "", "Bangladesh", "", "", "孟加拉国"},
	"BF": {"", "", "Burkina Faso", "", "", ""},
	"BH": {"", "", "Bahrein", "", "", ""},
	"BJ": {"", "", "Benin", "", "", ""},
	"BN": {"بروني دار السلام", "", "", "", "", "文莱达鲁萨兰国"},
	"BS": {"", "", "", "", "Багамские Острова", ""},
	"BW": {"", "", "Botswana", "", "", "博茨瓦纳"},
	"BY": {"بيلاروس", "", "Belarús", "", "", ""},
	"CF": {"جمهورية أفريقيا الوسطى", "", "", "", "Центральноафриканская Республика", "中非共和国"},
	"CV": {"كابو فيردي", "", "", "Cabo Verde", "", ""},
	"DJ": {"", "", "Djibouti", "", "", ""},
	"DK": {"الدانمرك", "", "", "", "", ""},
	"DO": {"", "", "", "", "Доминиканская Республика", ""},
	"DZ": {"", "", "Argelia", "", "", ""},
	"EC": {"إكوادور", "", "", "", "", ""},
	"FJ": {"", "", "Fiji", "", "", ""},
	"FK": {"", "", "", "Îles Falkland (Malvinas)", "", ""},
	"GQ": {"", "", "", "Guinée équatoriale", "", ""},
	"GT": {"", "", "", "", "", "危地马拉"},
	"GW": {"", "", "Guinea-Bissau", "", "", ""},
	"HU": {"هنغاريا", "", "", "", "", ""},
	"IE": {"آيرلندا", "", "", "", "", ""},
	"IQ": {"", "", "Iraq", "Iraq", "", ""},
	"KE": {"", "", "Kenya", "", "", ""},
	"KG": {"", "", "", "", "Кыргызстан", "吉尔吉斯斯坦"},
	"KH": {"", "", "", "", "", "柬埔寨"},
	"KM": {"", "", "Comoras", "", "Коморские Острова", ""},
	"KN": {"", "", "Saint Kitts y Nevis", "Saint-Kitts-et-Nevis", "", ""},
	"LC": {"", "", "", "", "", "圣卢西亚"},
	"LI": {"ليختنشتاين", "", "", "", "", ""},
	"LS": {"", "", "Lesotho", "", "", ""},
	"LT": {"ليتوانيا", "", "", "", "", ""},
	"LU": {"لكسمبرغ", "", "", "", "", ""},
	"ME": {"الجبل الأسود", "", "", "", "", ""},
	"MH": {"جزر مارشال", "", "", "", "Маршалловы Острова", ""},
	"MM": {"", "", "Myanmar", "Myanmar", "", ""},
	"MT": {"", "", "", "", "", "马耳他"},
	"MV": {"ملديف", "", "Maldivas", "", "Мальдивские Острова", ""},
	"MW": {"", "", "Malawi", "", "", ""},
	"NE": {"", "", "Níger", "", "", ""},
	"NG": {"", "", "", "Nigéria", "", ""},
	"NI": {"نيكاراغوا", "", "", "", "", ""},
	"NZ": {"نيوزيلندا", "", "Nueva Zelandia", "", "", ""},
	"PE": {"بيرو", "", "", "", "", ""},
	"PW": {"", "", "Palau", "", "", ""},
	"PY": {"باراغواي", "", "", "", "", ""},
	"QA": {"", "", "Qatar", "", "", ""},
	"RS": {"صربيا", "", "", "", "", ""},
	"RW": {"", "", "Rwanda", "", "", ""},
	"SA": {"المملكة العربية السعودية", "", "Arabia Saudita", "", "", ""},
	"SB": {"جزر سليمان", "", "", "Îles Salomon", "", ""},
	"SC": {"سيشيل", "", "", "", "Сейшельские Острова", ""},
	"SM": {"", "", "", "", "", "圣马力诺"},
	"SR": {"", "", "Suriname", "Suriname", "", ""},
	"ST": {"سان تومي وبرينسيبي", "", "", "", "", ""},
	"SV": {"", "", "", "El Salvador", "", ""},
	"TH": {"تايلند", "", "", "", "", ""},
	"TL": {"تيمور - ليشتي", "", "Timor-Leste", "Timor-Leste", "Тимор-Лешти", ""},
	"TN": {"", "", "Túnez", "", "", ""},
	"TT": {"", "", "", "", "", "特立尼达和多巴哥"},
	"UY": {"أوروغواي", "", "", "", "", ""},
	"ZA": {"جنوب أفريقيا", "", "", "", "", ""},
	"ZW": {"", "", "Zimbabwe", "", "", ""},
}

type entry struct {
	Alpha2 string `json:"alpha_2"`
	Name   string `json:"name"`
}

func main() {
	log.SetFlags(0)
	b, err := os.ReadFile(isoJSON)
	if err != nil {
		log.Fatalf("%v (install Debian's iso-codes: apt-get install -y iso-codes)", err)
	}
	var doc struct {
		Entries []entry `json:"3166-1"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		log.Fatalf("%s: %v", isoJSON, err)
	}
	mo := map[string]map[string]string{}
	for lang, loc := range locales {
		m, err := readMO(fmt.Sprintf(moPath, loc))
		if err != nil {
			log.Fatal(err)
		}
		mo[lang] = m
	}
	version := "unknown"
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "iso-codes").Output(); err == nil {
		version = string(out)
	}

	slices.SortFunc(doc.Entries, func(a, b entry) int { return strings.Compare(a.Alpha2, b.Alpha2) })
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `// Code generated by gen.go from Debian's iso-codes %s; DO NOT EDIT.
//
// The ISO 3166-1 names and their translations come from iso-codes
// (https://salsa.debian.org/iso-codes-team/iso-codes), licensed under the
// GNU LGPL 2.1 or later. Rows marked "UN name" are the UN's short names,
// from the overrides in gen.go.

package country

// isoCodesVersion is the version of iso-codes the table was made from.
const isoCodesVersion = %q

var table = map[string]Names{
`, version, version)
	var missing []string
	used := 0
	for _, e := range doc.Entries {
		names := [6]string{"", e.Name, "", "", "", ""}
		for i, lang := range []string{"ar", "", "es", "fr", "ru", "zh"} {
			if lang != "" {
				names[i] = mo[lang][e.Name]
			}
		}
		comment := ""
		if o, ok := overrides[e.Alpha2]; ok {
			for i, n := range o {
				if n != "" {
					names[i] = n
				}
			}
			comment = " // UN name"
			used++
		}
		names[0], names[3], names[4] = normalize("ar", names[0]), normalize("fr", names[3]), normalize("ru", names[4])
		for i, n := range names {
			if strings.TrimSpace(n) == "" {
				missing = append(missing, fmt.Sprintf("%s/%d", e.Alpha2, i))
			}
		}
		fmt.Fprintf(&buf, "%q: {Ar: %q, En: %q, Es: %q, Fr: %q, Ru: %q, Zh: %q},%s\n",
			e.Alpha2, names[0], names[1], names[2], names[3], names[4], names[5], comment)
	}
	buf.WriteString("}\n")
	if len(missing) > 0 {
		log.Fatalf("no name for %v: add an override", missing)
	}
	if used != len(overrides) {
		log.Fatalf("%d overrides name codes that iso-codes does not have", len(overrides)-used)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("table.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// normalize writes a name as the UN writes it in lang.
func normalize(lang, s string) string {
	switch lang {
	case "ar":
		s = strings.ReplaceAll(s, "\u0651", "") // shadda
		s = strings.ReplaceAll(s, " و ", " و")
	case "ru":
		s = strings.NewReplacer("ё", "е", "Ё", "Е").Replace(s)
	case "fr":
		// "Åland, Îles" -> "Îles Åland", "Réunion, Île de la" -> "Île de la Réunion"
		for _, q := range []string{"Îles", "Île de la", "Île"} {
			if name, ok := strings.CutSuffix(s, ", "+q); ok {
				return q + " " + name
			}
		}
	}
	return s
}

// readMO reads a GNU gettext .mo file into a map from message id to
// translation (https://www.gnu.org/software/gettext/manual/html_node/MO-Files.html).
func readMO(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 20 {
		return nil, fmt.Errorf("%s: too short for a .mo file", path)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0x950412de:
		bo = binary.LittleEndian
	case 0xde120495:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: not a .mo file", path)
	}
	n, origs, trans := bo.Uint32(b[8:]), bo.Uint32(b[12:]), bo.Uint32(b[16:])
	str := func(table, i uint32) (string, error) {
		at := uint64(table) + 8*uint64(i)
		if at+8 > uint64(len(b)) {
			return "", errors.New("table out of range")
		}
		l, off := uint64(bo.Uint32(b[at:])), uint64(bo.Uint32(b[at+4:]))
		if off+l > uint64(len(b)) {
			return "", errors.New("string out of range")
		}
		return string(b[off : off+l]), nil
	}
	m := make(map[string]string, n)
	for i := uint32(0); i < n; i++ {
		id, err := str(origs, i)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		tr, err := str(trans, i)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if _, after, ok := strings.Cut(id, "\x04"); ok { // drop a message context
			id = after
		}
		m[id] = tr
	}
	return m, nil
}
