// Package sgreport computes, on the handler's own machine, what the
// Secretary-General's annual report on reprisals needs from the cases a
// team has decrypted: counts for a period, a CSV of the cases whose
// consent allows them to appear, and drafts of the report's two annexes
// (Annexes; Markdown by WriteMarkdown), each case with exactly the fields
// its consent allows. It is pure Go over decrypted reports (envelope.Report) and the
// cases' clear metadata; it does no I/O beyond the writer it is given, and
// the server learns nothing of what it computes.
//
// # Which cases
//
// A case belongs to a period when its received day is within the period
// (both ends included; AnnualPeriod gives the usual 1 May to 30 April).
// Cases marked duplicate are left out of everything, since their original
// is counted, and so are cases closed as not a report (the closing reason
// "not_a_report", handlerapi.NotAReport: machine-written junk, spam,
// tests), which are in no figure at all (Counted), and so is a case that
// a sealed "duplicate" link entry marks as a duplicate.
//
// Cases linked as the same person or event (a sealed "same" link entry on
// either case, not undone since: corroborating sources; envelope.LinkSet
// folds links and their undoings by their sealed times) are one Group: one case with N
// sources in every figure and annex. A group belongs to the period of its
// first received case; it counts once under each value any of its sources
// has, and is shown at its most restrictive source's consent level (a
// source without consent to publication keeps the whole group out).
// Counts cover every other case (group) in the period. The CSV (one row
// per case, with its group's other cases in linked_cases) leaves out, and
// Result.Excluded counts by reason:
//
//   - "publication_no": the consent to publication is "not at all";
//   - "consent_withdrawn": the case was closed because consent was
//     withdrawn, whatever the report said;
//   - "on_hold": the case is on hold to do no harm;
//   - "unknown_consent": the publication answer is not one of the four
//     levels (a report that did not pass validation).
//
// # Annexes
//
// Annex I holds the groups first received in the period and not published
// in an earlier report; Annex II the groups published in an earlier
// report with UN actions or State responses dated after that publication
// and up to the period's end. "Earlier" is a "published" entry whose
// report's date (sealed in the entry: envelope.Published.Date) is on or
// before the period's end; nothing the drafts or the counts read is the
// server's word (not the day it lists a note as added), so a server
// cannot move a case between the two annexes. A publication recorded
// before publications carried their date has no date: it counts as an
// earlier report published the day before the period begins
// (PublishedOn), so its follow-up is what is dated in the period. Each
// annex is by State in the alphabetical order (collation) of the draft's language, English,
// French or Spanish; the answers that are not a State come last. An
// entry's description comes only from the CSV's columns its level allows
// (view, over the one table below): named and anonymous groups are
// described one by one; pattern-only groups only counted per State with
// their incident types. Action and response summaries, which handlers
// write, are shown for named entries only, like every free text. Draft.Word
// words a draft (Words: the console's catalogue) into a Doc, which the
// console's page and WriteMarkdown both print; MarkdownText makes every
// value inert Markdown.
//
// # Counts
//
// Counts are by State concerned (ISO code, "unsure", or "not_recorded" for
// reports from before the field existed), incident type, UN body, victim
// role and publication level. A case counts once under each value it has:
// a case with two incidents of the same type counts once for that type,
// so the counts of incident types and victim roles add up to more than the
// number of cases. A value that is not one of the known choices is counted
// under "invalid".
//
// # Fields by consent level
//
// Columns (the CSV header is always the same; a cell the level does not
// allow is empty):
//
//	column               pattern_only  anonymous  named
//	reference                 x            x        x
//	publication               x            x        x
//	received                month         day      day
//	state, state_name         x            x        x
//	un_body                   x            x        x
//	incident_types            x            x        x
//	victim_roles              x            x        x
//	perpetrator_kinds         x            x        x
//	cooperation_nature                     x        x
//	incident_dates                       month    as given
//	victim_count                           x        x
//	victim_kinds                           x        x
//	victim_genders                                  x
//	victim_statuses                        x        x
//	victim_names                                    x
//	victim_ages                                     x
//	victim_nationalities                            x
//	places_of_detention                             x
//	un_body_other                                   x
//	session_ref                                     x
//	cooperation_form                                x
//	incident_places                                 x
//	perpetrators                                    x
//	narratives                                      x
//	un_document                            x        x
//	un_document_symbol                              x
//
// The reference is the case's public reference, which identifies nobody
// and lets the drafter go back to the case. Pattern-only cases carry only
// what a pattern needs: categories, the State and the month. Anonymous
// cases add the categories that describe one case but no free text at all,
// since free text (even a victim's gender, which reporters type) cannot
// be checked for identifying details. Named cases
// add the names and the free text about the victims, the cooperation and
// the incidents. Never exported at any level: the submitter (name,
// organisation, relationship, contact), where a victim is now, evidence
// and steps taken (except the reporter's answer whether the act was
// already referred to in an official UN document, which the report's
// calls for input ask: the answer from anonymous up, the symbol the
// reporter typed for named cases only), the risk assessment, and the
// rest of the consent record.
// The one table of these field sets is columns, in csv.go.
//
// # Safety of the CSV
//
// Report text is written by reporters, so every cell is made inert for
// spreadsheets: a cell whose first character, or first after leading
// white space, is one that starts a formula (= + - @, full-width forms of
// them, tab, carriage return or line feed) gets a leading apostrophe, and
// a cell longer than a spreadsheet cell can hold is cut. Values joined in
// one cell are separated by "; ": once each for categories (types, roles,
// perpetrator kinds), and one per victim or per incident, in order and
// empty ones kept ("34; ; 50"), for the others, so that the n-th value of
// victim_names and victim_ages is the same person. Narratives are
// separated by a blank line.
package sgreport
