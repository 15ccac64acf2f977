//! A fixed-size set of small integers as a bit vector: the engine's active
//! sets of needs and facilities. Walking a set visits its members in
//! increasing order and skips 64 absent members per word, so a week with
//! few active nodes costs little more than its active nodes.

/// A set of indices `0..len`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Bits(Vec<u64>);

impl Clone for Bits {
    fn clone(&self) -> Bits {
        Bits(self.0.clone())
    }

    /// Reuses the words already allocated (a scratch restored from a
    /// checkpoint allocates nothing).
    fn clone_from(&mut self, from: &Bits) {
        self.0.clone_from(&from.0);
    }
}

impl Bits {
    /// Empty, for indices `0..len`.
    pub fn resize(&mut self, len: usize) {
        self.0.clear();
        self.0.resize(len.div_ceil(64), 0);
    }

    pub fn clear(&mut self) {
        self.0.fill(0);
    }

    /// Every index `0..len` (and the unused tail of the last word: walks
    /// check their index against the length they serve).
    pub fn fill(&mut self) {
        self.0.fill(!0);
    }

    #[inline]
    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }

    /// Adds the members `w * 64 + i` for every set bit `i` of `word`.
    #[inline]
    pub fn insert_word(&mut self, w: usize, word: u64) {
        self.0[w] |= word;
    }

    /// Adds every member of a row of [`BitRows`] (made for this size).
    #[inline]
    pub fn insert_row(&mut self, row: &[(u32, u64)]) {
        for &(w, bits) in row {
            self.0[w as usize] |= bits;
        }
    }

    pub fn words(&self) -> &[u64] {
        &self.0
    }
}

/// The set bits `i < len` of `word` number `w`, in increasing order. The
/// word is copied, so the set may be changed while its members are walked.
#[inline]
pub(crate) fn ones(w: usize, word: u64, len: usize) -> Ones {
    Ones {
        base: w * 64,
        word,
        len,
    }
}

pub(crate) struct Ones {
    base: usize,
    word: u64,
    len: usize,
}

impl Iterator for Ones {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.word == 0 {
            return None;
        }
        let i = self.base + self.word.trailing_zeros() as usize;
        self.word &= self.word - 1;
        (i < self.len).then_some(i)
    }
}

/// Rows of sets of indices, each kept as the words of a [`Bits`] it sets
/// (index, bits): adding a row costs one OR per word it touches, not one
/// per member.
#[derive(Clone, Debug, Default)]
pub(crate) struct BitRows {
    offsets: Vec<u32>,
    words: Vec<(u32, u64)>,
}

impl BitRows {
    /// One row per item of `rows`, each the set of its indices.
    pub fn from_rows<R: IntoIterator<Item = usize>>(rows: impl IntoIterator<Item = R>) -> Self {
        let mut out = BitRows {
            offsets: vec![0],
            words: Vec::new(),
        };
        for row in rows {
            let start = out.words.len();
            let mut members: Vec<usize> = row.into_iter().collect();
            members.sort_unstable();
            for i in members {
                let (w, bit) = ((i / 64) as u32, 1u64 << (i % 64));
                match out.words[start..].last_mut() {
                    Some((last, bits)) if *last == w => *bits |= bit,
                    _ => out.words.push((w, bit)),
                }
            }
            out.offsets.push(out.words.len() as u32);
        }
        out
    }

    pub fn row(&self, r: usize) -> &[(u32, u64)] {
        &self.words[self.offsets[r] as usize..self.offsets[r + 1] as usize]
    }
}

/// Word `w` of the set `{i : member(values[i])}`: the bit form of a
/// per-index array (a flag, or a value off zero). Hot loops write such
/// arrays as plain stores, which do not chain through one word the way
/// `insert` does; the set is read off them a word at a time.
#[inline]
pub(crate) fn word_where<T: Copy>(values: &[T], w: usize, member: impl Fn(T) -> bool) -> u64 {
    let mut word = 0u64;
    for (i, &v) in values[w * 64..values.len().min(w * 64 + 64)]
        .iter()
        .enumerate()
    {
        word |= u64::from(member(v)) << i;
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_visited_in_order_and_the_tail_is_ignored() {
        let mut b = Bits::default();
        b.resize(130);
        for i in [0, 5, 63, 64, 127, 129] {
            b.insert(i);
        }
        let mut seen = Vec::new();
        for (w, &word) in b.words().iter().enumerate() {
            seen.extend(ones(w, word, 130));
        }
        assert_eq!(seen, vec![0, 5, 63, 64, 127, 129]);
        b.fill();
        let mut n = 0;
        for (w, &word) in b.words().iter().enumerate() {
            n += ones(w, word, 130).count();
        }
        assert_eq!(n, 130);
        b.clear();
        assert!(b.words().iter().all(|&w| w == 0));
        // Rows of sets: duplicates and order do not matter, and a row
        // starting in the word the previous one ended in is its own.
        let rows = BitRows::from_rows([vec![129, 0, 5, 0], vec![], vec![127, 64, 3]]);
        assert_eq!(rows.row(0), &[(0, 1 | 1 << 5), (2, 1 << 1)]);
        assert!(rows.row(1).is_empty());
        assert_eq!(rows.row(2), &[(0, 1 << 3), (1, 1 | 1 << 63)]);
        b.insert_row(rows.row(2));
        b.insert_row(rows.row(0));
        let mut seen = Vec::new();
        for (w, &word) in b.words().iter().enumerate() {
            seen.extend(ones(w, word, 130));
        }
        assert_eq!(seen, vec![0, 3, 5, 64, 127, 129]);
        b.clear();
        let mut flags = vec![false; 130];
        flags[3] = true;
        flags[64] = true;
        flags[129] = true;
        assert_eq!(word_where(&flags, 0, |f| f), 1 << 3);
        assert_eq!(word_where(&flags, 1, |f| f), 1);
        assert_eq!(word_where(&flags, 2, |f| f), 2);
    }
}
