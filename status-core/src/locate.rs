//! JSON paths (`$.files[2]`) and where they stand in the source text (line and column).
//!
//! `serde_json::Value` forgets positions, so a finding's line is found again by scanning the
//! (already parsed, so well-formed) source along the path. The scan is iterative: deep nesting
//! cannot overflow the stack.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A JSON path from the document root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Path(Vec<Segment>);

impl Path {
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.0 {
            match segment {
                Segment::Key(k) if is_identifier(k) => write!(f, ".{k}")?,
                Segment::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The 1-based line and column (in characters) of byte `offset` in `src`.
pub(crate) fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The position of the value at `path` in well-formed JSON `src`; for a path that does not exist,
/// the position of the deepest value on the way that does.
pub(crate) fn locate(src: &str, path: &Path) -> Option<(usize, usize)> {
    let mut scanner = Scanner {
        b: src.as_bytes(),
        i: 0,
    };
    scanner.ws();
    let mut found = scanner.i;
    for segment in &path.0 {
        let Some(next) = scanner.enter(segment) else {
            break;
        };
        found = next;
    }
    (found < src.len()).then(|| line_column(src, found))
}

/// The keys of the top-level object of well-formed JSON `src`, each with its line and column, in
/// source order (duplicates included: `serde_json` keeps only the last of each).
pub(crate) fn top_level_keys(src: &str) -> Vec<(String, (usize, usize))> {
    let mut scanner = Scanner {
        b: src.as_bytes(),
        i: 0,
    };
    let mut keys = Vec::new();
    if scanner.eat(b'{').is_none() {
        return keys;
    }
    loop {
        scanner.ws();
        let at = scanner.i;
        let Some(key) = scanner.string() else { break };
        keys.push((key, line_column(src, at)));
        if scanner.eat(b':').is_none() {
            break;
        }
        scanner.ws();
        if scanner.skip_value().is_none() || scanner.eat(b',').is_none() {
            break;
        }
    }
    keys
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(byte)).then(|| self.i += 1)
    }

    /// Moves from the start of a container to the start of its member `segment`.
    fn enter(&mut self, segment: &Segment) -> Option<usize> {
        match segment {
            Segment::Key(wanted) => {
                self.eat(b'{')?;
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.eat(b':')?;
                    self.ws();
                    if key == *wanted {
                        return Some(self.i);
                    }
                    self.skip_value()?;
                    self.eat(b',')?;
                }
            }
            Segment::Index(wanted) => {
                self.eat(b'[')?;
                for _ in 0..*wanted {
                    self.ws();
                    self.skip_value()?;
                    self.eat(b',')?;
                }
                self.ws();
                (self.peek() != Some(b']')).then_some(self.i)
            }
        }
    }

    /// Reads a string token and returns its decoded value.
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.skip_string()?;
        serde_json::from_slice(&self.b[start..self.i]).ok()
    }

    fn skip_string(&mut self) -> Option<()> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                _ => self.i += 1,
            }
        }
    }

    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => self.skip_string()?,
                b'{' | b'[' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    self.i += 1;
                }
                b',' | b'}' | b']' if depth == 0 => return Some(()),
                _ => self.i += 1,
            }
            if depth == 0 && matches!(self.b.get(self.i.wrapping_sub(1)), Some(b'"' | b'}' | b']'))
            {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_jsonpath() {
        let p = Path::root().key("files").index(2);
        assert_eq!(p.to_string(), "$.files[2]");
        assert_eq!(Path::root().key("a b").to_string(), r#"$["a b"]"#);
    }

    #[test]
    fn locates_nested_members() {
        let src = "{\n  \"a\": {\"x\": [1, \"]\", 3]},\n  \"files\": [\"a\", \"b\",\n   \"c\"]\n}";
        assert_eq!(
            locate(src, &Path::root().key("files").index(2)),
            Some((4, 4))
        );
        assert_eq!(
            locate(src, &Path::root().key("a").key("x").index(2)),
            Some((2, 23))
        );
        // A missing member points at the container it was looked for in.
        assert_eq!(locate(src, &Path::root().key("nope")), Some((1, 1)));
        assert_eq!(
            locate(src, &Path::root().key("files").index(9)),
            Some((3, 12))
        );
    }

    #[test]
    fn lists_top_level_keys_with_duplicates() {
        let src = "{\"a\": {\"a\": 1}, \"b\": [\"a\"],\n \"a\": 2}";
        let keys = top_level_keys(src);
        assert_eq!(
            keys,
            [
                ("a".to_owned(), (1, 2)),
                ("b".to_owned(), (1, 17)),
                ("a".to_owned(), (2, 2))
            ]
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = "{\"é\": 1, \"b\": 2}";
        assert_eq!(locate(src, &Path::root().key("b")), Some((1, 15)));
    }
}
