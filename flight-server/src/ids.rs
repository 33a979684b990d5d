//! Random identifiers for tokens, sessions, queries and prepared statements: unguessable, so a
//! client cannot use another's.

use rand::RngCore;

/// `bytes` random bytes (from the OS-seeded CSPRNG) as lower-case hex.
pub fn random_id(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}
