//! JSON paths (`$.files[2]`) and where they stand in the source text (line and column).
//!
//! `serde_json::Value` forgets positions, so a finding's line is found again by scanning the
//! (already parsed, so well-formed) source. The scans are iterative (deep nesting cannot overflow
//! the stack) and linear: the top-level object is indexed once ([`Index`]), and offsets become
//! lines and columns in one sorted sweep ([`line_columns`]), so a document with tens of thousands
//! of findings costs no more than one with a few.

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

/// The 1-based line and column (in characters) of byte `offset` in `src`, for a single offset.
pub(crate) fn line_column(src: &str, offset: usize) -> (usize, usize) {
    line_columns(src, &[offset])[0]
}

/// The 1-based line and column (in characters) of each byte offset in `src`, in one pass over
/// the source whatever the number of offsets.
pub(crate) fn line_columns(src: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![(1, 1); offsets.len()];
    let (mut line, mut column) = (1usize, 1usize);
    let mut chars = src.char_indices().peekable();
    for i in order {
        let target = offsets[i].min(src.len());
        while let Some(&(pos, c)) = chars.peek() {
            if pos >= target {
                break;
            }
            chars.next();
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        out[i] = (line, column);
    }
    out
}

/// The byte offset of 1-based `line` and byte `column` (as serde_json counts them) in `src`,
/// clamped to the source and to a character boundary; `None` for a line that is not there.
pub(crate) fn byte_offset(src: &str, line: usize, column: usize) -> Option<usize> {
    let start = match line.checked_sub(1)? {
        0 => 0,
        n => src.match_indices('\n').nth(n - 1)?.0 + 1,
    };
    let offset = (start + column.saturating_sub(1)).min(src.len().checked_sub(1)?);
    (0..=offset).rev().find(|&i| src.is_char_boundary(i))
}

/// The byte offset of the value at `path` in well-formed JSON `src`; for a path that does not
/// exist, the offset of the deepest value on the way that does. Scans from the start: use
/// [`Index`] for the paths validation reports.
pub(crate) fn locate_offset(src: &str, path: &Path) -> Option<usize> {
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
    (found < src.len()).then_some(found)
}

/// One top-level member of the document, as it stands in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) key: String,
    /// Where the key's opening quote is.
    pub(crate) key_offset: usize,
    /// Where the value starts.
    pub(crate) value_offset: usize,
    /// Where each item starts, when the value is an array.
    pub(crate) items: Vec<usize>,
}

/// The positions of the top-level object's members and of their array items, from one scan.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    root: usize,
    /// In source order, duplicates included (`serde_json` keeps the last of each).
    pub(crate) members: Vec<Member>,
    by_key: std::collections::HashMap<String, usize>,
}

impl Index {
    pub(crate) fn build(src: &str) -> Self {
        let mut scanner = Scanner {
            b: src.as_bytes(),
            i: 0,
        };
        scanner.ws();
        let mut index = Index {
            root: scanner.i,
            ..Index::default()
        };
        if scanner.eat(b'{').is_none() {
            return index;
        }
        // Every member takes at least one byte, so the source's length bounds the loop even if
        // the scanner stopped advancing: a scanner bug costs positions, never a hang.
        for _ in 0..src.len() {
            let Some(member) = scanner.member() else {
                break;
            };
            index.by_key.insert(member.key.clone(), index.members.len());
            index.members.push(member);
            if scanner.eat(b',').is_none() {
                break;
            }
        }
        index
    }

    /// The path of the member (or array item of a member) that the byte `offset` is in: the
    /// deepest path the index knows, `$` before the first member.
    pub(crate) fn path_at(&self, offset: usize) -> Path {
        let root = Path::root();
        let Some(member) = self.members.iter().rev().find(|m| m.value_offset <= offset) else {
            return root;
        };
        let path = root.key(&member.key);
        match member.items.iter().rposition(|&item| item <= offset) {
            Some(i) => path.index(i),
            None => path,
        }
    }

    /// The number that member `key`'s value starts with, as written (the last member of that
    /// name, the one serde_json keeps): the whole value when it is a number, else empty.
    pub(crate) fn literal<'s>(&self, src: &'s str, key: &str) -> Option<&'s str> {
        let member = &self.members[*self.by_key.get(key)?];
        let rest = src.get(member.value_offset..)?;
        let len = rest
            .bytes()
            .take_while(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
            .count();
        Some(&rest[..len])
    }

    /// The offset of `path` (members and their items directly; deeper paths by a scan).
    pub(crate) fn offset(&self, src: &str, path: &Path) -> Option<usize> {
        let member = |key: &str| self.by_key.get(key).map(|&i| &self.members[i]);
        match path.0.as_slice() {
            [] => Some(self.root),
            [Segment::Key(key)] => Some(member(key).map_or(self.root, |m| m.value_offset)),
            [Segment::Key(key), Segment::Index(i)] => Some(member(key).map_or(self.root, |m| {
                m.items.get(*i).copied().unwrap_or(m.value_offset)
            })),
            _ => locate_offset(src, path),
        }
        .filter(|&offset| offset < src.len())
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

// Every loop here is bounded by the length of the source (a `for` over it, or over a count no
// larger): a scanner bug returns `None`, and the finding goes without a position, instead of
// hanging the validation (and with it a server's reload).
impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn rest(&self) -> &[u8] {
        self.b.get(self.i..).unwrap_or_default()
    }

    fn ws(&mut self) {
        self.i += self
            .rest()
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(byte)).then(|| self.i += 1)
    }

    /// Reads one `"key": value` member of an object (after `{` or `,`), noting array items.
    fn member(&mut self) -> Option<Member> {
        self.ws();
        let key_offset = self.i;
        let key = self.string()?;
        self.eat(b':')?;
        self.ws();
        let value_offset = self.i;
        let mut items = Vec::new();
        if self.peek() == Some(b'[') {
            self.i += 1;
            self.ws();
            if self.peek() == Some(b']') {
                self.i += 1;
            } else {
                // Each item takes at least one byte.
                for _ in 0..self.b.len() {
                    self.ws();
                    items.push(self.i);
                    self.skip_value()?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
        } else {
            self.skip_value()?;
        }
        Some(Member {
            key,
            key_offset,
            value_offset,
            items,
        })
    }

    /// Moves from the start of a container to the start of its member `segment`.
    fn enter(&mut self, segment: &Segment) -> Option<usize> {
        match segment {
            Segment::Key(wanted) => {
                self.eat(b'{')?;
                for _ in 0..self.b.len() {
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
                None
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
        serde_json::from_slice(self.b.get(start..self.i)?).ok()
    }

    /// Moves past a string token (from its opening quote).
    fn skip_string(&mut self) -> Option<()> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let mut escaped = false;
        for (k, &c) in self.rest().iter().enumerate().skip(1) {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    self.i += k + 1;
                    return Some(());
                }
                _ => {}
            }
        }
        None
    }

    /// Moves past one value: a string or a container to just after its end, a scalar to the
    /// `,`, `}` or `]` that follows it.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        let (mut in_string, mut escaped) = (false, false);
        for (k, &c) in self.rest().iter().enumerate() {
            let done = match c {
                _ if escaped => {
                    escaped = false;
                    false
                }
                b'\\' if in_string => {
                    escaped = true;
                    false
                }
                b'"' => {
                    in_string = !in_string;
                    !in_string && depth == 0
                }
                _ if in_string => false,
                b'{' | b'[' => {
                    depth += 1;
                    false
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    depth == 0
                }
                // A scalar ends where its container goes on: not consumed.
                b',' | b'}' | b']' if depth == 0 => {
                    self.i += k;
                    return Some(());
                }
                _ => false,
            };
            if done {
                self.i += k + 1;
                return Some(());
            }
        }
        None
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

    fn locate(src: &str, path: &Path) -> Option<(usize, usize)> {
        let offset = Index::build(src).offset(src, path)?;
        assert_eq!(
            locate_offset(src, path),
            Some(offset),
            "the index agrees with a scan"
        );
        Some(line_column(src, offset))
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
        let keys: Vec<(String, (usize, usize))> = Index::build(src)
            .members
            .into_iter()
            .map(|m| (m.key, line_column(src, m.key_offset)))
            .collect();
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
    fn many_offsets_convert_in_any_order() {
        let src = "ab\ncé\n\nd";
        assert_eq!(
            line_columns(src, &[8, 0, 4, 3, 100]),
            [(4, 1), (1, 1), (2, 2), (2, 1), (4, 2)]
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = "{\"é\": 1, \"b\": 2}";
        assert_eq!(locate(src, &Path::root().key("b")), Some((1, 15)));
    }
}
