//! Text layouts of a result for the `table` format: a bordered table in the style of arrow's
//! pretty printer, drawn by comfy-table and narrowed to fit a terminal when its width is known,
//! and the expanded layout of psql's `\x`, one line per column.

use comfy_table::{ContentArrangement, Row, Table};
use unicode_width::UnicodeWidthStr;

/// arrow's pretty printer's borders, as a comfy-table preset: `+---+` lines above the header,
/// under it and under the last row, `|` around and between columns, nothing between rows.
const ARROW_BORDERS: &str = "||--+-++|    ++++++";

/// Columns are not narrowed below this many characters to fit the terminal; a table that
/// still does not fit runs past its edge (and `\x` shows it better).
const NARROWEST_COLUMN: usize = 6;

/// Marks a value cut short.
const ELLIPSIS: &str = "…";

/// A result as text: column names and the values of the rows shown.
pub struct TextTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl TextTable {
    /// The width of the bordered table with no value cut short.
    pub fn natural_width(&self) -> usize {
        let widths = self.comfy_table(false).column_max_content_widths();
        bordered_width(widths.into_iter().map(usize::from))
    }

    /// The bordered table, with columns narrowed (and their values cut short) so that it is
    /// at most `max_width` wide, when given. Each line of a value of several lines is cut on
    /// its own.
    pub fn bordered(&self, max_width: Option<usize>) -> String {
        let mut table = self.comfy_table(max_width.is_some());
        if let Some(max_width) = max_width {
            let narrowest = bordered_width(
                table
                    .column_max_content_widths()
                    .into_iter()
                    .map(|width| usize::from(width).min(NARROWEST_COLUMN)),
            );
            // comfy-table keeps the columns that fit in an equal share of the width and
            // narrows the others to share what is left. Given at least the width of the
            // narrowest layout, it leaves wide columns NARROWEST_COLUMN characters. (Its
            // LowerBoundary constraint is weighed against the share of every column, narrow
            // ones too, and would cut columns of a table that fits.)
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(max_width.max(narrowest)).unwrap_or(u16::MAX))
                .set_truncation_indicator(ELLIPSIS)
                // A line holds no line break: a value too wide is cut at the column's width,
                // not at its last space before it.
                .set_delimiter('\n');
        }
        let mut out = String::new();
        for line in table.lines() {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// The table for comfy-table: the header, then one table row per line of each row (there
    /// are no lines between rows, so a row of several lines looks the same), each held to
    /// one line when values are `cut` to their column's width.
    fn comfy_table(&self, cut: bool) -> Table {
        let mut table = Table::new();
        table.load_preset(ARROW_BORDERS);
        let mut header = Row::from(&self.headers);
        if cut {
            let height = self.headers.iter().map(|name| name.split('\n').count());
            header.max_height(height.max().unwrap_or(1));
        }
        table.set_header(header);
        for row in &self.rows {
            let cells: Vec<Vec<&str>> = row
                .iter()
                .map(|value| value.split('\n').collect())
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for line_no in 0..height {
                let mut line = Row::from(
                    cells
                        .iter()
                        .map(|lines| lines.get(line_no).copied().unwrap_or("")),
                );
                if cut {
                    line.max_height(1);
                }
                table.add_row(line);
            }
        }
        table
    }

    /// One block per row, one line per column: `name | value`, under a `-[ RECORD n ]-` line.
    /// Values are cut short to fit `max_width`, when given.
    pub fn expanded(&self, max_width: Option<usize>) -> String {
        let name_width = self
            .headers
            .iter()
            .map(|name| name.width())
            .max()
            .unwrap_or(0);
        let value_room =
            max_width.map(|width| width.saturating_sub(name_width + 3).max(NARROWEST_COLUMN));
        let mut out = String::new();
        for (index, row) in self.rows.iter().enumerate() {
            let mut lines = Vec::new();
            for (name, value) in self.headers.iter().zip(row) {
                for (line_no, line) in value.split('\n').enumerate() {
                    let label = if line_no == 0 { name.as_str() } else { "" };
                    let line = match value_room {
                        Some(room) => cut_to_width(line, room),
                        None => line.to_string(),
                    };
                    lines.push(format!("{} | {line}", pad(label, name_width)));
                }
            }
            let title = format!("-[ RECORD {} ]", index + 1);
            let line_width = lines.iter().map(|line| line.width()).max().unwrap_or(0);
            out.push_str(&title);
            out.push_str(&"-".repeat(line_width.saturating_sub(title.width()).max(1)));
            out.push('\n');
            for line in lines {
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        out
    }
}

/// The width of a bordered table of columns this wide: `| a | b |` takes 3 characters per
/// column and 1 more.
fn bordered_width(column_widths: impl ExactSizeIterator<Item = usize>) -> usize {
    3 * column_widths.len() + 1 + column_widths.sum::<usize>()
}

/// `text` padded with spaces to `width` display columns.
fn pad(text: &str, width: usize) -> String {
    let mut padded = text.to_string();
    padded.push_str(&" ".repeat(width.saturating_sub(text.width())));
    padded
}

/// `text` if it fits in `width` display columns, else its start and an ellipsis.
fn cut_to_width(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut cut = String::new();
    let mut used = 0;
    for character in text.chars() {
        let char_width = unicode_width::UnicodeWidthChar::width(character).unwrap_or(0);
        if used + char_width + 1 > width {
            break;
        }
        cut.push(character);
        used += char_width;
    }
    cut.push_str(ELLIPSIS);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TextTable {
        TextTable {
            headers: vec!["id".into(), "description".into()],
            rows: vec![
                vec!["1".into(), "a rather long description of the thing".into()],
                vec!["22".into(), "short".into()],
            ],
        }
    }

    #[test]
    fn a_table_that_fits_is_left_whole() {
        let text = sample().bordered(Some(200));
        assert!(
            text.contains("| 1  | a rather long description of the thing |"),
            "{text}"
        );
        assert_eq!(text, sample().bordered(None));
    }

    #[test]
    fn a_wide_table_is_narrowed_to_the_width_with_values_cut_short() {
        let text = sample().bordered(Some(30));
        for line in text.lines() {
            assert_eq!(line.width(), 30, "{text}");
        }
        assert!(text.contains("| 1  | a rather long descri… |"), "{text}");
        assert!(text.contains("| 22 | short                 |"), "{text}");
    }

    #[test]
    fn expanded_shows_one_column_per_line() {
        let text = sample().expanded(None);
        // Each record's title line is as wide as its widest line.
        let expected = format!(
            "-[ RECORD 1 ]{}\n\
             id          | 1\n\
             description | a rather long description of the thing\n\
             -[ RECORD 2 ]{}\n\
             id          | 22\n\
             description | short\n",
            "-".repeat(52 - 13),
            "-".repeat(19 - 13)
        );
        assert_eq!(text, expected);
    }

    /// Each line's width on a terminal.
    fn widths(text: &str) -> Vec<usize> {
        text.lines().map(UnicodeWidthStr::width).collect()
    }

    #[test]
    fn the_borders_are_those_of_arrows_pretty_printer() {
        let batch = arrow::array::RecordBatch::try_from_iter([
            (
                "id",
                std::sync::Arc::new(arrow::array::Int64Array::from(vec![1, 22]))
                    as arrow::array::ArrayRef,
            ),
            (
                "description",
                std::sync::Arc::new(arrow::array::StringArray::from(vec![
                    "a rather long description of the thing",
                    "short",
                ])),
            ),
        ])
        .expect("a batch");
        let arrow_text = arrow::util::pretty::pretty_format_batches(&[batch])
            .expect("arrow's table")
            .to_string();
        assert_eq!(sample().bordered(None), format!("{arrow_text}\n"));
    }

    #[test]
    fn a_table_that_just_fits_is_not_cut() {
        // Many narrow columns and a wide one: the wide one keeps its width when the whole
        // table fits, however little room the average column would have.
        let mut headers: Vec<String> = (0..9).map(|n| format!("{n}")).collect();
        headers.push("wide".into());
        let mut row: Vec<String> = (0..9).map(|n| format!("{n}")).collect();
        row.push("w".repeat(30));
        let table = TextTable {
            headers,
            rows: vec![row],
        };
        let width = table.natural_width();
        assert_eq!(width, 10 * 3 + 1 + 9 + 30);
        let text = table.bordered(Some(width));
        assert_eq!(text, table.bordered(None));
        assert!(!text.contains('…'), "{text}");
        assert!(widths(&text).iter().all(|line| *line == width), "{text}");
    }

    #[test]
    fn columns_are_not_narrowed_below_six_characters() {
        let table = TextTable {
            headers: vec!["a".into(), "b".into(), "c".into()],
            rows: vec![vec!["x".repeat(20), "y".repeat(20), "z".into()]],
        };
        let text = table.bordered(Some(10));
        // Two columns of 6 and one of 1, which runs past the 10 columns asked for.
        assert!(
            widths(&text)
                .iter()
                .all(|line| *line == 3 * 3 + 1 + 6 + 6 + 1),
            "{text}"
        );
        assert!(text.contains("| xxxxx… | yyyyy… | z |"), "{text}");
    }

    #[test]
    fn wide_characters_are_counted_as_two_columns() {
        let table = TextTable {
            headers: vec!["city".into(), "mood".into()],
            rows: vec![
                vec!["東京".into(), "🦀🦀".into()],
                vec!["Zürich".into(), "ok".into()],
            ],
        };
        let text = table.bordered(None);
        assert!(text.contains("| 東京   | 🦀🦀 |"), "{text}");
        assert!(text.contains("| Zürich | ok   |"), "{text}");
        assert!(widths(&text).iter().all(|line| *line == 17), "{text}");

        // Cut short, a wide character that does not fit before the '…' is left out whole.
        let table = TextTable {
            headers: vec!["n".into(), "name".into()],
            rows: vec![vec!["1".into(), "東京都新宿区西新宿二丁目".into()]],
        };
        let text = table.bordered(Some(20));
        assert!(widths(&text).iter().all(|line| *line == 20), "{text}");
        assert!(text.contains("| 1 | 東京都新宿…  |"), "{text}");
    }

    #[test]
    fn each_line_of_a_value_of_several_lines_is_cut_on_its_own() {
        let table = TextTable {
            headers: vec!["id".into(), "text".into()],
            rows: vec![
                vec![
                    "1".into(),
                    "first line, rather long\nsecond\nthird line, long too".into(),
                ],
                vec!["2".into(), "one".into()],
            ],
        };
        let whole = table.bordered(None);
        assert!(
            whole.contains(
                "| 1  | first line, rather long |\n\
                 |    | second                  |\n\
                 |    | third line, long too    |\n\
                 | 2  | one                     |\n"
            ),
            "{whole}"
        );
        let text = table.bordered(Some(20));
        assert!(widths(&text).iter().all(|line| *line == 20), "{text}");
        assert!(
            text.contains(
                "| 1  | first line… |\n\
                 |    | second      |\n\
                 |    | third line… |\n\
                 | 2  | one         |\n"
            ),
            "{text}"
        );
    }
}
