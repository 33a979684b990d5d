//! The result table of a benchmark: for each case Lakeshore's measure beside each peer's, and
//! the ratio Lakeshore / peer (below 1: Lakeshore is faster, or makes fewer requests). Printed
//! as markdown, ready to paste.

use crate::stats::{CountSummary, Summary, millis};

/// What one cell of the table holds.
#[derive(Debug, Clone, Copy)]
pub enum Measure {
    /// Timings of the case.
    Time(Summary),
    /// Object-store requests per run of the case.
    Requests(CountSummary),
}

impl Measure {
    /// The median as a number, for ratios: seconds or requests.
    fn median(self) -> f64 {
        match self {
            Measure::Time(summary) => summary.median.as_secs_f64(),
            Measure::Requests(summary) => summary.median as f64,
        }
    }
}

impl From<Summary> for Measure {
    fn from(summary: Summary) -> Self {
        Measure::Time(summary)
    }
}

/// One line of the table.
pub struct Row {
    pub case: String,
    pub lakeshore: Option<Measure>,
    /// In the order of the table's peers; `None` where a peer has no such case.
    pub peers: Vec<Option<Measure>>,
}

/// Prints the table; `peers` names the peer columns.
pub fn print_comparison(peers: &[String], rows: &[Row]) {
    let mut header = vec!["case".to_string(), "lakeshore".to_string()];
    for peer in peers {
        header.push(peer.clone());
        header.push("ratio".to_string());
    }
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    for row in rows {
        let mut cells = vec![row.case.clone(), cell(row.lakeshore)];
        for peer in &row.peers {
            cells.push(cell(*peer));
            cells.push(ratio(row.lakeshore, *peer));
        }
        println!("| {} |", cells.join(" | "));
    }
    println!();
    println!(
        "Medians (p90 in brackets when there are several samples); \
         ratio = lakeshore median / peer median."
    );
}

fn cell(measure: Option<Measure>) -> String {
    match measure {
        None => "-".to_string(),
        Some(Measure::Time(s)) if s.samples == 1 => millis(s.median),
        Some(Measure::Time(s)) => format!("{} ({})", millis(s.median), millis(s.p90)),
        Some(Measure::Requests(s)) if s.samples == 1 || s.median == s.p90 => requests(s.median),
        Some(Measure::Requests(s)) => format!("{} ({})", requests(s.median), s.p90),
    }
}

fn requests(count: u64) -> String {
    format!("{count} request{}", if count == 1 { "" } else { "s" })
}

/// Only measures of one kind compare; a peer's zero (no request at all) has no ratio.
fn ratio(ours: Option<Measure>, peer: Option<Measure>) -> String {
    match (ours, peer) {
        (Some(ours @ Measure::Time(_)), Some(peer @ Measure::Time(_)))
        | (Some(ours @ Measure::Requests(_)), Some(peer @ Measure::Requests(_)))
            if peer.median() > 0.0 =>
        {
            format!("{:.2}", ours.median() / peer.median())
        }
        _ => "-".to_string(),
    }
}
