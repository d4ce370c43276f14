//! What a file is, judged by its bytes, never its name: the allow-list of types, magic
//! numbers, a bounded look inside ZIP containers (DOCX/XLSX), and file-name sanitising.
//!
//! A ZIP is read only through its central directory plus one small bounded entry
//! (`[Content_Types].xml`), so a zip bomb (entries that inflate to gigabytes) is refused by
//! its declared sizes and never inflated; a lying header cannot make us inflate more than
//! [`MAX_INFLATE`] bytes either.

use std::io::{Read, Seek};
use std::path::Path;

/// The accepted kinds, with the `Content-Type` a download is served with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    Webp,
    Docx,
    Xlsx,
    Text,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Webp => "image/webp",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Text => "text/plain; charset=utf-8",
        }
    }

    /// Pictures get thumbnails and may be an achievement's `images`.
    pub fn is_image(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg | Kind::Webp)
    }

    pub fn of_content_type(ct: &str) -> Option<Kind> {
        [
            Kind::Pdf,
            Kind::Png,
            Kind::Jpeg,
            Kind::Webp,
            Kind::Docx,
            Kind::Xlsx,
            Kind::Text,
        ]
        .into_iter()
        .find(|k| k.content_type() == ct)
    }
}

/// At most this many entries in a DOCX/XLSX (real documents have tens to a few hundred).
pub const MAX_ZIP_ENTRIES: usize = 5_000;
/// At most this much declared uncompressed content in a DOCX/XLSX.
pub const MAX_ZIP_UNCOMPRESSED: u64 = 256 * 1024 * 1024;
/// At most this ratio of uncompressed to compressed size for any entry over 1 MiB.
pub const MAX_ZIP_RATIO: u64 = 200;
/// At most this many bytes are inflated while looking inside (`[Content_Types].xml`).
pub const MAX_INFLATE: u64 = 1024 * 1024;

/// The kind of a complete file on disk, by its first bytes and (ZIPs, text) its content;
/// `None` if it is none of the accepted kinds. Blocking: run it on the blocking pool.
pub fn detect(path: &Path) -> std::io::Result<Option<Kind>> {
    let mut file = std::fs::File::open(path)?;
    let mut head = [0u8; 16];
    let n = read_up_to(&mut file, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"%PDF-") {
        return Ok(Some(Kind::Pdf));
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Some(Kind::Png));
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Some(Kind::Jpeg));
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Ok(Some(Kind::Webp));
    }
    if head.starts_with(b"PK\x03\x04") {
        file.rewind()?;
        return Ok(office_kind(file));
    }
    file.rewind()?;
    Ok(is_plain_text(file)?.then_some(Kind::Text))
}

fn read_up_to(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// DOCX or XLSX: a bounded ZIP whose `[Content_Types].xml` names the main part, and which
/// has that part. Anything else in a ZIP (or a ZIP over the bounds) is refused.
fn office_kind<R: Read + Seek>(reader: R) -> Option<Kind> {
    let mut archive = zip::ZipArchive::new(reader).ok()?;
    if archive.len() > MAX_ZIP_ENTRIES || !within_bounds(&mut archive) {
        return None;
    }
    let has = |archive: &zip::ZipArchive<R>, name: &str| archive.index_for_name(name).is_some();
    let kind = if has(&archive, "word/document.xml") {
        Kind::Docx
    } else if has(&archive, "xl/workbook.xml") {
        Kind::Xlsx
    } else {
        return None;
    };
    let types = read_bounded(&mut archive, "[Content_Types].xml")?;
    let main = match kind {
        Kind::Docx => "wordprocessingml.document.main+xml",
        _ => "spreadsheetml.sheet.main+xml",
    };
    types.contains(main).then_some(kind)
}

/// The declared sizes: the total, and the compression ratio of every large entry.
fn within_bounds<R: Read + Seek>(archive: &mut zip::ZipArchive<R>) -> bool {
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else {
            return false;
        };
        let (size, packed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        if total > MAX_ZIP_UNCOMPRESSED {
            return false;
        }
        if size > 1024 * 1024 && size / packed.max(1) > MAX_ZIP_RATIO {
            return false;
        }
    }
    true
}

fn read_bounded<R: Read + Seek>(archive: &mut zip::ZipArchive<R>, name: &str) -> Option<String> {
    let entry = archive.by_name(name).ok()?;
    let mut text = String::new();
    entry.take(MAX_INFLATE).read_to_string(&mut text).ok()?;
    Some(text)
}

/// UTF-8 (a BOM allowed) without control characters other than tab, line breaks and form
/// feed, read in chunks so a large file is never held whole.
fn is_plain_text(mut file: impl Read) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut any = false;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(any && carry.is_empty());
        }
        any = true;
        carry.extend_from_slice(&buf[..n]);
        let valid = match std::str::from_utf8(&carry) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return Ok(false),
        };
        let text = std::str::from_utf8(&carry[..valid]).unwrap_or_default();
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        {
            return Ok(false);
        }
        carry.drain(..valid);
    }
}

/// The longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A file name safe to store and to send back in `Content-Disposition`: the last path
/// component (`/` and `\` both separate), no control or quote characters, no leading dots
/// (`..`, hidden files), at most [`MAX_NAME_CHARS`]; `file` when nothing is left.
pub fn sanitize_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let name: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_leading_dots() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_name(".."), "file");
        assert_eq!(sanitize_name("营业执照\u{0}.pdf"), "营业执照.pdf");
        assert_eq!(sanitize_name("a\"b\r\n.pdf"), "ab.pdf");
        assert_eq!(
            sanitize_name(&"长".repeat(300)).chars().count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn text_is_utf8_without_controls() {
        assert!(is_plain_text("技术合同\r\n第一条\t".as_bytes()).unwrap());
        assert!(!is_plain_text(&b"abc\x00def"[..]).unwrap());
        assert!(!is_plain_text(&b"\xff\xfe"[..]).unwrap());
        assert!(!is_plain_text(&b""[..]).unwrap());
    }
}
