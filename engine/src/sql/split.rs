//! Splitting a script into statements, so `-f file.sql`, standard input and multi-statement
//! strings run one statement at a time.

use datafusion::sql::sqlparser::tokenizer::Token;

use super::text::pieces;
use crate::error::Result;

/// The statements of `script`, in order, without their terminating `;`: each exactly as the
/// user wrote it, from its first token to its last (comments included, surrounding spaces and
/// line breaks not). Semicolons inside strings, quoted names and comments do not split;
/// statements that are only whitespace or comments are dropped.
pub fn split_statements(script: &str) -> Result<Vec<String>> {
    let mut statements = Vec::new();
    // The bytes of the statement read so far, from its first token that is not blank to its
    // last one; whether it holds any code.
    let mut start = None;
    let mut end = 0;
    let mut has_code = false;
    for piece in pieces(script)? {
        if piece.token == Token::SemiColon {
            if let Some(start) = start.take()
                && has_code
            {
                statements.push(script[start..end].to_string());
            }
            has_code = false;
        } else if !piece.is_blank() {
            start.get_or_insert(piece.bytes.start);
            end = piece.bytes.end;
            has_code |= piece.is_code();
        }
    }
    if let Some(start) = start
        && has_code
    {
        statements.push(script[start..end].to_string());
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    fn split(script: &str) -> Vec<String> {
        split_statements(script).unwrap()
    }

    #[test]
    fn splits_on_semicolons_outside_strings_and_comments() {
        let script =
            "SELECT 'a;b' AS x; -- one; two\nSELECT 2;\n/* ; */ ;\n  SELECT \"c;d\" FROM t";
        assert_eq!(
            split(script),
            [
                "SELECT 'a;b' AS x",
                "-- one; two\nSELECT 2",
                "SELECT \"c;d\" FROM t"
            ]
        );
    }

    #[test]
    fn each_statement_is_the_users_text_byte_for_byte() {
        for statement in [
            "SELECT 'O''Brien' AS n",
            "SELECT \"a\"\"b\" FROM \"t;\"\"x\"",
            r"SELECT 'back\slash\' AS s",
            "SELECT E'it\\'s; \\n' AS e",
            "SELECT $$dollar; 'quoted'$$ AS d, $tag$ ; $tag$ AS t",
            "SELECT 1 /* a; /* nested; */ b; */ + 2",
            "SELECT 'é;😀' AS \"naïve 😀\" -- café; 😀\n",
            "SELECT 1,\r\n  'x;y'\r\nFROM t",
            "SELECT N'national;' AS n, X'AB' AS b",
        ] {
            for script in [
                statement.to_string(),
                format!("{statement};"),
                format!("  \r\n\t{statement}  ;  \n"),
                format!("SELECT 'é😀';\r\n{statement};\r\nSELECT 'ü'"),
            ] {
                let got = split(&script);
                assert!(got.contains(&statement.to_string()), "{script:?}: {got:?}");
            }
        }
    }

    #[test]
    fn comments_and_blanks_alone_are_no_statement() {
        assert!(split(" ;\n;-- only a comment; really\n/* ; */;").is_empty());
        assert_eq!(split("SELECT 1;;;SELECT 2;"), ["SELECT 1", "SELECT 2"]);
    }

    /// Scripts assembled at random (seeded, so a failure repeats) from fragments of
    /// statements, with separators between them: splitting gives back each statement's text.
    #[test]
    fn generated_scripts_split_back_into_their_statements() {
        const CODE: &[&str] = &[
            "SELECT",
            "1",
            "'O''Brien'",
            "';'",
            "'it''s; -- no comment'",
            "\"a\"\"b;\"",
            "\"é😀\"",
            "E'\\';'",
            "$$;$$",
            "$q$ ' ; $q$",
            "x",
            "+",
            "(",
            ")",
            "?",
            "$1",
            "'ü😀'",
            "é",
        ];
        const INSIDE: &[&str] = &[
            " ",
            "\n",
            "\r\n",
            "\t",
            " /* ; 😀 */ ",
            " -- ; é\n",
            "\r\n-- ;\r\n",
        ];
        const BETWEEN: &[&str] = &[";", " ;", ";\n", "\r\n;\r\n", ";;\n", " \t;\r\n\r\n"];
        let mut state: u64 = 0x5eed_1a4e_5407_e001;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..500 {
            let mut statements = Vec::new();
            for _ in 0..1 + next(4) {
                let mut statement = CODE[next(CODE.len())].to_string();
                for _ in 0..next(8) {
                    statement.push_str(INSIDE[next(INSIDE.len())]);
                    statement.push_str(CODE[next(CODE.len())]);
                }
                statements.push(statement);
            }
            let mut script = String::from(["", " ", "\r\n", "-- lead;\n"][next(4)]);
            for statement in &statements {
                script.push_str(statement);
                script.push_str(BETWEEN[next(BETWEEN.len())]);
            }
            let got = split(&script);
            let expected: Vec<String> = match script.starts_with("--") {
                // A comment before the first statement belongs to it.
                true => std::iter::once(format!("-- lead;\n{}", statements[0]))
                    .chain(statements[1..].iter().cloned())
                    .collect(),
                false => statements.clone(),
            };
            assert_eq!(got, expected, "{script:?}");
        }
    }

    #[test]
    fn an_unterminated_string_is_an_error() {
        assert!(split_statements("SELECT 'oops").is_err());
        assert!(split_statements("SELECT 'O''Brien").is_err());
    }
}
