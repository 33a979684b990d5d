//! Keeping credentials out of what users and logs see. Object-store errors can carry a request
//! URL, and an Azure SAS token travels in the URL's query; so every message the engine gives
//! out passes through [`redact`], which blanks each secret value it was configured with.

use std::io::Write;

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use parking_lot::RwLock;

use super::StorageOptions;

/// Secret values shorter than this are not blanked: they would match ordinary words, and a
/// real key, token or password is longer.
const SHORTEST_SECRET: usize = 6;

/// Words in an option's key that mark its value as a secret.
const SECRET_KEY_WORDS: &[&str] = &[
    "secret",
    "key",
    "token",
    "sas",
    "password",
    "signature",
    "credential",
    "service_account",
];

/// The secrets of every engine of this process: a message from one engine never shows
/// another's either.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Notes the secret values among `options`, in every form a message may show them.
pub(crate) fn remember(options: &StorageOptions) {
    let mut secrets = SECRETS.write();
    for (key, value) in options.values() {
        let key = key.to_ascii_lowercase();
        let secret = SECRET_KEY_WORDS.iter().any(|word| key.contains(word))
            // `key_id` names an account, like a user name; its secret is elsewhere.
            && !key.ends_with("key_id");
        if !secret || value.len() < SHORTEST_SECRET || secrets.contains(value) {
            continue;
        }
        for form in shown_forms(value) {
            // URLs carry a secret percent-encoded.
            let encoded: String = url::form_urlencoded::byte_serialize(form.as_bytes()).collect();
            for form in [form, encoded] {
                if !secrets.contains(&form) {
                    secrets.push(form);
                }
            }
        }
    }
    // Longest first, so a secret that holds another is blanked whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
}

/// The secret `value` as given, and the pieces and decodings of it that messages show.
fn shown_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    // An account key is held decoded, and a store's debug form (which delta-rs logs) prints it
    // as a list of bytes.
    if let Ok(bytes) = BASE64_STANDARD.decode(value.trim())
        && bytes.len() >= SHORTEST_SECRET
    {
        forms.push(format!("{bytes:?}"));
    }
    // A SAS token is also sent in pieces (`sig=...`), and shown decoded in a store's debug
    // form: the signature alone, as given and decoded.
    for part in value.trim_start_matches('?').split('&') {
        if let Some(signature) = part.strip_prefix("sig=")
            && signature.len() >= SHORTEST_SECRET
        {
            forms.push(signature.to_string());
            let decoded: String = url::form_urlencoded::parse(part.as_bytes())
                .map(|(_, value)| value.into_owned())
                .collect();
            if decoded != signature {
                forms.push(decoded);
            }
        }
    }
    forms
}

/// `text` with every known secret replaced by `***`.
pub(crate) fn redact(text: &str) -> String {
    let secrets = SECRETS.read();
    let mut redacted = text.to_string();
    // Every form was worked out once, by `remember`: a log line pays only the search.
    for secret in secrets.iter() {
        if redacted.contains(secret.as_str()) {
            redacted = redacted.replace(secret.as_str(), "***");
        }
    }
    redacted
}

/// Standard error with every known secret blanked: the log writer of Lakeshore's binaries, so
/// that no library's log line shows a credential (delta-rs prints a store's whole
/// configuration at debug level). A log line is written in one call, so a secret is never cut
/// in two.
pub struct RedactedStderr;

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn secret_values_are_blanked_and_account_names_kept() {
        remember(&StorageOptions::global(HashMap::from([
            (
                "azure_storage_account_name".to_string(),
                "lakeaccount".to_string(),
            ),
            (
                "azure_storage_sas_key".to_string(),
                "sv=2024&sig=abc/def+ghi=".to_string(),
            ),
            ("aws_access_key_id".to_string(), "AKIAEXAMPLE".to_string()),
            (
                "aws_secret_access_key".to_string(),
                "wJalrXUtnFEMI".to_string(),
            ),
        ])));
        let message = "GET https://lakeaccount.blob/c?sv=2024&sig=abc%2Fdef%2Bghi%3D failed; \
                       key AKIAEXAMPLE secret wJalrXUtnFEMI";
        let redacted = redact(message);
        assert!(!redacted.contains("wJalrXUtnFEMI"), "{redacted}");
        assert!(!redacted.contains("abc%2Fdef"), "{redacted}");
        assert!(redacted.contains("lakeaccount"), "{redacted}");
        assert!(redacted.contains("AKIAEXAMPLE"), "{redacted}");
    }
}
