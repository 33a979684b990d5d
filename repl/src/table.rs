//! Text layouts of a result for the `table` format: a bordered table (the layout of arrow's
//! pretty printer), narrowed to fit a terminal when its width is known, and the expanded
//! layout of psql's `\x`, one line per column.

use unicode_width::UnicodeWidthStr;

/// Columns are not narrowed below this many characters to fit the terminal; a table that
/// still does not fit runs past its edge (and `\x` shows it better).
const NARROWEST_COLUMN: usize = 6;

/// Marks a value cut short.
const ELLIPSIS: char = '…';

/// A result as text: column names and the values of the rows shown.
pub struct TextTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl TextTable {
    /// The width of the bordered table with no value cut short.
    pub fn natural_width(&self) -> usize {
        let widths = self.natural_column_widths();
        widths.iter().sum::<usize>() + border_width(widths.len())
    }

    /// The bordered table, with columns narrowed (and their values cut short) so that it is
    /// at most `max_width` wide, when given.
    pub fn bordered(&self, max_width: Option<usize>) -> String {
        let mut widths = self.natural_column_widths();
        if let Some(max_width) = max_width {
            let budget = max_width.saturating_sub(border_width(widths.len()));
            let cap = widest_fitting_cap(&widths, budget).max(NARROWEST_COLUMN);
            for width in &mut widths {
                *width = (*width).min(cap);
            }
        }
        let border = border_line(&widths);
        let mut out = String::new();
        out.push_str(&border);
        push_row(&mut out, &self.headers, &widths);
        out.push_str(&border);
        for row in &self.rows {
            push_row(&mut out, row, &widths);
        }
        out.push_str(&border);
        out
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

    /// The widest line of each column's name and values.
    fn natural_column_widths(&self) -> Vec<usize> {
        self.headers
            .iter()
            .enumerate()
            .map(|(column, header)| {
                self.rows
                    .iter()
                    .filter_map(|row| row.get(column))
                    .chain(std::iter::once(header))
                    .flat_map(|cell| cell.split('\n'))
                    .map(|line| line.width())
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }
}

/// Characters taken by borders and padding: `| a | b |` has 3 per column and 1 more.
fn border_width(columns: usize) -> usize {
    3 * columns + 1
}

/// The largest column width `cap` with `sum(min(width, cap)) <= budget`: the narrow columns
/// keep their width and the wide ones share what is left.
fn widest_fitting_cap(widths: &[usize], budget: usize) -> usize {
    let total: usize = widths.iter().sum();
    if total <= budget {
        return widths.iter().copied().max().unwrap_or(0);
    }
    let mut sorted = widths.to_vec();
    sorted.sort_unstable();
    let mut narrow_total = 0;
    for (index, width) in sorted.iter().enumerate() {
        let wide_columns = sorted.len() - index;
        let cap = (budget.saturating_sub(narrow_total)) / wide_columns;
        if cap < *width {
            return cap;
        }
        narrow_total += width;
    }
    budget
}

fn border_line(widths: &[usize]) -> String {
    let mut line = String::from("+");
    for width in widths {
        line.push_str(&"-".repeat(width + 2));
        line.push('+');
    }
    line.push('\n');
    line
}

/// One row, as many lines high as its tallest cell.
fn push_row(out: &mut String, cells: &[String], widths: &[usize]) {
    let cell_lines: Vec<Vec<&str>> = cells
        .iter()
        .map(|cell| cell.split('\n').collect())
        .collect();
    let height = cell_lines.iter().map(Vec::len).max().unwrap_or(1);
    for line_no in 0..height {
        out.push('|');
        for (lines, width) in cell_lines.iter().zip(widths) {
            let text = lines.get(line_no).copied().unwrap_or("");
            out.push(' ');
            out.push_str(&pad(&cut_to_width(text, *width), *width));
            out.push_str(" |");
        }
        out.push('\n');
    }
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
    cut.push(ELLIPSIS);
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
}
