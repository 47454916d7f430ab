//! How much a zip archive (an xlsx) may inflate to, measured by inflating it through a bounded
//! reader: the guard against zip bombs for uploaded spreadsheets and statements.
use std::io::{Cursor, Read};

/// An xlsx (a zip) may not inflate beyond this many bytes in all…
pub const MAX_INFLATED: u64 = 200 * 1024 * 1024;
/// …nor beyond this many times its own size (spreadsheet XML compresses 10–50×)…
pub const MAX_RATIO: u64 = 200;
/// …though a small file may always unpack to this much.
pub const MIN_INFLATED_ALLOWANCE: u64 = 1024 * 1024;
/// Parts in one archive.
pub const MAX_ENTRIES: usize = 2000;

/// Why an archive is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveProblem {
    /// Not a readable zip archive.
    Unreadable,
    TooManyParts,
    /// It inflates past the limit (whatever its headers claim).
    TooLargeUnpacked,
}

/// How many bytes an archive of `packed_len` bytes may inflate to.
pub fn inflate_limit(packed_len: usize) -> u64 {
    (packed_len as u64).saturating_mul(MAX_RATIO).clamp(MIN_INFLATED_ALLOWANCE, MAX_INFLATED)
}

/// Inflates every part of the archive through a bounded reader and counts the bytes that
/// really come out: the sizes in the local and central headers are the sender's claim, and a
/// 1 MB file claiming 4 KiB can inflate to 1 GiB. Reading stops one byte past `limit`, so
/// checking costs at most `limit` bytes of work and a fixed buffer of memory.
pub fn check_archive(bytes: &[u8], limit: u64) -> Result<(), ArchiveProblem> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ArchiveProblem::Unreadable)?;
    if zip.len() > MAX_ENTRIES {
        return Err(ArchiveProblem::TooManyParts);
    }
    // The claim alone already refuses an honest bomb without inflating anything.
    let mut claimed = 0u64;
    for i in 0..zip.len() {
        claimed = claimed.saturating_add(zip.by_index_raw(i).map_err(|_| ArchiveProblem::Unreadable)?.size());
    }
    if claimed > limit {
        return Err(ArchiveProblem::TooLargeUnpacked);
    }
    let mut inflated = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        // The part's raw bytes, inflated here: the zip crate would stop at the size the
        // headers claim (and then fail the checksum), which tells a bomb from a damaged file
        // no better than the claim itself.
        let raw = zip.by_index_raw(i).map_err(|_| ArchiveProblem::Unreadable)?;
        let part: Box<dyn Read + '_> = match raw.compression() {
            zip::CompressionMethod::Stored => Box::new(raw),
            zip::CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
            _ => return Err(ArchiveProblem::Unreadable),
        };
        let mut bounded = part.take(limit - inflated + 1);
        loop {
            let n = bounded.read(&mut buf).map_err(|_| ArchiveProblem::Unreadable)?;
            if n == 0 {
                break;
            }
            inflated += n as u64;
            if inflated > limit {
                return Err(ArchiveProblem::TooLargeUnpacked);
            }
        }
    }
    Ok(())
}
