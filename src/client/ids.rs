//! Ids typed by people: the full 64 hex digits, or (like git's short hashes) a unique
//! prefix of at least [`MIN_PREFIX`] of them. One place resolves them for every command.

use super::error::{ClientError, ClientErrorKind};

/// The fewest hex digits a prefix may have.
pub const MIN_PREFIX: usize = 4;

/// How many hex digits lists show of an id: enough to be unique among `ids`, at least 8.
pub fn short_len<'a>(ids: impl IntoIterator<Item = &'a str>) -> usize {
    let mut sorted: Vec<&str> = ids.into_iter().collect();
    sorted.sort_unstable();
    let mut len = 8;
    for pair in sorted.windows(2) {
        let common = pair[0]
            .bytes()
            .zip(pair[1].bytes())
            .take_while(|(a, b)| a == b)
            .count();
        len = len.max(common + 1);
    }
    len
}

/// Why a typed id named nothing, or more than one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// Not hex, or longer than an id.
    Malformed,
    /// Fewer than [`MIN_PREFIX`] hex digits.
    TooShort,
    /// No id starts with it.
    NotFound,
    /// More than one id starts with it (all of them, sorted).
    Ambiguous(Vec<String>),
}

/// The one id of `candidates` that `typed` (a full id or a prefix, any case) names.
pub fn resolve<I, S>(typed: &str, candidates: I) -> Result<String, IdError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let prefix = typed.trim().to_ascii_lowercase();
    if prefix.is_empty() || prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(IdError::Malformed);
    }
    if prefix.len() < MIN_PREFIX {
        return Err(IdError::TooShort);
    }
    let mut found: Vec<String> = candidates
        .into_iter()
        .filter(|c| c.as_ref().starts_with(&prefix))
        .map(|c| c.as_ref().to_owned())
        .collect();
    found.sort();
    found.dedup();
    match found.len() {
        0 => Err(IdError::NotFound),
        1 => Ok(found.remove(0)),
        _ => Err(IdError::Ambiguous(found)),
    }
}

/// The client error of `e` for an id of `what` ("payment", "channel") typed as `typed`;
/// `list` is the command that lists them. Malformed, too short and ambiguous ids are input
/// errors (exit 2); an id that names nothing is a failure (exit 1, "not found").
pub fn id_error(e: IdError, what: &str, typed: &str, list: &str) -> ClientError {
    match e {
        IdError::Malformed => ClientError::invalid(format!(
            "invalid {what} id '{typed}': expected 64 hex digits, or at least {MIN_PREFIX} of \
             its first ones"
        ))
        .hint(format!("copy the id from `{list}`")),
        IdError::TooShort => ClientError::invalid(format!(
            "{what} id '{typed}' is too short: give at least {MIN_PREFIX} hex digits"
        ))
        .hint(format!("copy the id from `{list}`")),
        IdError::NotFound => ClientError::new(
            ClientErrorKind::Failed,
            format!(
                "no {what} {} in this wallet",
                typed.trim().to_ascii_lowercase()
            ),
        )
        .hint(format!("list them with `{list}`")),
        IdError::Ambiguous(ids) => {
            let shown: Vec<&str> = ids.iter().take(8).map(String::as_str).collect();
            let more = ids.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            ClientError::invalid(format!(
                "{what} id '{typed}' is ambiguous: {} {what}s start with it",
                ids.len()
            ))
            .hint(format!(
                "type more of the id; candidates: {}{more}",
                shown.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "6f00ba45aa000000000000000000000000000000000000000000000000000001";
    const B: &str = "6f00ba45bb000000000000000000000000000000000000000000000000000002";
    const C: &str = "1234000000000000000000000000000000000000000000000000000000000003";

    #[test]
    fn prefixes_resolve_like_git() {
        let all = [A, B, C];
        assert_eq!(resolve("1234", all).unwrap(), C);
        assert_eq!(resolve("6F00BA45AA", all).unwrap(), A);
        assert_eq!(resolve(A, all).unwrap(), A);
        assert_eq!(resolve("123", all), Err(IdError::TooShort));
        assert_eq!(resolve("6f0g", all), Err(IdError::Malformed));
        assert_eq!(resolve("", all), Err(IdError::Malformed));
        assert_eq!(resolve(&format!("{A}0"), all), Err(IdError::Malformed));
        assert_eq!(resolve("ffff", all), Err(IdError::NotFound));
        assert_eq!(
            resolve("6f00ba45", all),
            Err(IdError::Ambiguous(vec![A.to_owned(), B.to_owned()]))
        );
        let e = id_error(
            IdError::Ambiguous(vec![A.into(), B.into()]),
            "payment",
            "6f00ba45",
            "asyncpay payments list",
        );
        assert_eq!(e.kind, ClientErrorKind::Invalid);
        assert!(e.hint.unwrap().contains(B));
    }

    #[test]
    fn short_ids_are_unique() {
        assert_eq!(short_len([A, C]), 8);
        assert_eq!(short_len([A, B, C]), 9);
        assert_eq!(short_len(std::iter::empty()), 8);
    }
}
