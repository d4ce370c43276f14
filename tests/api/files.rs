//! Files: upload (type from content, dedup, limits, hostile bodies), visibility per parent
//! and role, ranged downloads, the collector, crash safety of the local store.

use std::io::Write;
use std::path::{Path, PathBuf};

use awc::http::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Account, Resp, TestApp, spawn_app, spawn_app_with};
use crate::listings::{achievement_body, demand_body, member, published};

pub const BOUNDARY: &str = "tt-files-boundary-7MA4YWxk";

/// A multipart body with one `file` field.
pub fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

pub async fn upload(app: &TestApp, token: Option<&str>, name: &str, bytes: &[u8]) -> Resp {
    app.raw(
        Method::POST,
        "/api/v1/files",
        token,
        Some(&content_type()),
        multipart(name, bytes),
    )
    .await
}

/// Uploads and answers the new file's id; panics unless 201.
pub async fn uploaded(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> i64 {
    let r = upload(app, Some(token), name, bytes).await;
    assert_eq!(r.status, 201, "upload {name}: {}", r.text);
    r.body["id"].as_i64().expect("id")
}

pub async fn attach(
    app: &TestApp,
    token: &str,
    parent: &str,
    id: i64,
    slot: &str,
    file: i64,
) -> Resp {
    app.post(
        "/api/v1/attachments",
        Some(token),
        &json!({"parent": parent, "parent_id": id, "slot": slot, "file_id": file}),
    )
    .await
}

/// A small valid PDF.
pub fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

/// A real PNG of `w`×`h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A ZIP with these entries (stored deflated).
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(bytes).expect("zip write");
    }
    w.finish().expect("zip").into_inner()
}

const DOCX_TYPES: &[u8] = br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

pub fn docx() -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", DOCX_TYPES),
        (
            "word/document.xml",
            b"<w:document>\xe6\x8a\x80\xe6\x9c\xaf\xe5\x90\x88\xe5\x90\x8c</w:document>",
        ),
    ])
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn blobs(app: &TestApp) -> Vec<PathBuf> {
    files_under(&app.settings.data_dir.join("files/blobs"))
}

fn staging(app: &TestApp) -> Vec<PathBuf> {
    files_under(&app.settings.data_dir.join("files/staging"))
}

async fn download(app: &TestApp, id: i64, token: Option<&str>, range: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = range.map(|r| ("Range", r)).into_iter().collect();
    app.request_with_headers(
        Method::GET,
        &format!("/api/v1/files/{id}"),
        &headers,
        token,
        None,
    )
    .await
}

#[actix_rt::test]
async fn uploads_are_typed_by_content_deduplicated_and_named_safely() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;

    let picture = png(40, 30);
    let r = upload(&app, Some(&uni), "照片.pdf", &picture).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["content_type"], "image/png",
        "type from content, not the name"
    );
    assert_eq!(r.body["size"], picture.len());
    assert_eq!(r.body["sha256"], sha256(&picture));
    assert_eq!(r.body["name"], "照片.pdf");
    let again = upload(&app, Some(&uni), "copy.png", &picture).await;
    assert_eq!(again.status, 201);
    assert_ne!(again.body["id"], r.body["id"]);
    let stored: Vec<_> = blobs(&app)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n == sha256(&picture).as_str())
        })
        .collect();
    assert_eq!(stored.len(), 1, "the same bytes are stored once");

    let traversal = upload(&app, Some(&uni), "../../etc/技术合同.pdf", &pdf("x")).await;
    assert_eq!(traversal.status, 201, "{}", traversal.text);
    assert_eq!(traversal.body["name"], "技术合同.pdf");
    assert_eq!(traversal.body["content_type"], "application/pdf");
    let hidden = upload(&app, Some(&uni), "..\\..\\..", &pdf("y")).await;
    assert_eq!(hidden.body["name"], "file");

    let d = upload(&app, Some(&uni), "合同.docx", &docx()).await;
    assert_eq!(
        d.body["content_type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let t = upload(
        &app,
        Some(&uni),
        "说明.txt",
        "第一条 技术内容\r\n".as_bytes(),
    )
    .await;
    assert_eq!(t.body["content_type"], "text/plain; charset=utf-8");

    for (name, bytes) in [
        ("program.pdf", b"\x7fELF\x02\x01\x01\x00binary".to_vec()),
        ("nul.txt", b"text\x00with nul".to_vec()),
        ("page.html", b"\xff\xfe<\x00h\x00t\x00m\x00l\x00".to_vec()),
        ("archive.docx", zip_of(&[("readme.txt", b"not office")])),
    ] {
        let r = upload(&app, Some(&uni), name, &bytes).await;
        r.assert_error(415, "file_type_not_allowed");
    }
    assert!(
        staging(&app).is_empty(),
        "refused uploads leave nothing staged"
    );
    let anon = upload(&app, None, "a.pdf", &pdf("z")).await;
    anon.assert_error(401, "missing_authorization");
}

#[actix_rt::test]
async fn a_zip_bomb_disguised_as_docx_is_refused_without_inflating_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // 64 MiB of zeros deflate to ~64 KiB: a ratio no real document has.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = zip_of(&[
        ("[Content_Types].xml", DOCX_TYPES),
        ("word/document.xml", &zeros),
    ]);
    assert!(bomb.len() < 1024 * 1024);
    let r = upload(&app, Some(&admin), "合同.docx", &bomb).await;
    r.assert_error(415, "file_type_not_allowed");
}

#[actix_rt::test]
async fn size_limit_quota_and_malformed_bodies() {
    let app = spawn_app_with(|s| {
        s.files_max_bytes = 64 * 1024;
        s.files_org_quota_bytes = 100 * 1024;
    })
    .await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let big = "长".repeat(30 * 1024).into_bytes(); // 90 KiB
    upload(&app, Some(&uni), "big.txt", &big)
        .await
        .assert_error(413, "file_too_large");
    let a = "甲".repeat(20 * 1024).into_bytes(); // 60 KiB
    let b = "乙".repeat(20 * 1024).into_bytes();
    uploaded(&app, &uni, "a.txt", &a).await;
    uploaded(&app, &uni, "a-again.txt", &a).await; // the same bytes count once
    upload(&app, Some(&uni), "b.txt", &b)
        .await
        .assert_error(413, "quota_exceeded");
    // Another org has its own quota.
    let (other, _) = member(&app, Account::enterprise(), true, &admin).await;
    uploaded(&app, &other, "b.txt", &b).await;

    // A body declared far over the limit is refused before it is read.
    let addr = app.address.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /api/v1/files HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {uni}\r\nContent-Type: {}\r\nContent-Length: 999999999\r\n\r\n",
        content_type()
    );
    let answer = std::thread::spawn(move || {
        use std::io::Read;
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&multipart("huge.pdf", b"%PDF-1.4")[..60])
            .unwrap();
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .join()
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let mut truncated = multipart("t.pdf", &pdf("cut"));
    truncated.truncate(truncated.len() - 20);
    let r = app
        .raw(
            Method::POST,
            "/api/v1/files",
            Some(&uni),
            Some(&content_type()),
            truncated,
        )
        .await;
    r.assert_error(400, "invalid_multipart");
    let wrong_field = multipart("x.pdf", &pdf("x"));
    let wrong_field =
        String::from_utf8_lossy(&wrong_field).replace("name=\"file\"", "name=\"doc\"");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/files",
            Some(&uni),
            Some(&content_type()),
            wrong_field.into_bytes(),
        )
        .await;
    r.assert_error(400, "invalid_multipart");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/files",
            Some(&uni),
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
    r.assert_error(400, "invalid_multipart");
    let mut two = multipart("1.pdf", &pdf("1"));
    two.truncate(two.len() - 4); // drop "--\r\n": another part follows
    two.extend_from_slice(b"\r\n");
    let second = multipart("2.pdf", &pdf("2"));
    two.extend_from_slice(&second[BOUNDARY.len() + 4..]);
    let r = app
        .raw(
            Method::POST,
            "/api/v1/files",
            Some(&uni),
            Some(&content_type()),
            two,
        )
        .await;
    r.assert_error(400, "invalid_multipart");
    assert!(staging(&app).is_empty(), "{:?}", staging(&app));
}

struct Cast {
    admin: String,
    uni: String,
    uni_org: i64,
    ent: String,
    ent_org: i64,
    unverified: String,
    unverified_org: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(app, Account::enterprise(), true, &admin).await;
    let (unverified, unverified_org) = member(app, Account::enterprise(), false, &admin).await;
    Cast {
        admin,
        uni,
        uni_org,
        ent,
        ent_org,
        unverified,
        unverified_org,
    }
}

async fn status_of(app: &TestApp, file: i64, token: Option<&str>) -> u16 {
    download(app, file, token, None).await.status
}

#[actix_rt::test]
async fn achievement_images_are_public_once_published_and_documents_follow_details() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let r = app
        .post("/api/v1/achievements", Some(&c.uni), &achievement_body())
        .await;
    let a = r.body["id"].as_i64().unwrap();
    let img = uploaded(&app, &c.uni, "样机.png", &png(64, 48)).await;
    let doc = uploaded(&app, &c.uni, "专利证书.pdf", &pdf("patent")).await;
    assert_eq!(
        attach(&app, &c.uni, "achievement", a, "image", img)
            .await
            .status,
        201
    );
    let again = attach(&app, &c.uni, "achievement", a, "image", img).await;
    assert_eq!(again.status, 200, "attaching twice answers the attachment");
    let d = attach(&app, &c.uni, "achievement", a, "document", doc).await;
    assert_eq!(d.status, 201, "{}", d.text);
    assert_eq!(d.body["file"]["name"], "专利证书.pdf");
    attach(&app, &c.uni, "achievement", a, "image", doc)
        .await
        .assert_error(400, "invalid_attachment");
    attach(&app, &c.uni, "achievement", a, "proposal", doc)
        .await
        .assert_error(400, "invalid_attachment");
    // Others may not attach, nor attach files that are not theirs.
    let theirs = uploaded(&app, &c.ent, "x.pdf", &pdf("ent")).await;
    attach(&app, &c.ent, "achievement", a, "document", theirs)
        .await
        .assert_error(404, "not_found");
    attach(&app, &c.uni, "achievement", a, "document", theirs)
        .await
        .assert_error(404, "not_found");

    // A draft: its org and admins only.
    for (token, img_status, doc_status) in [
        (None, 404, 404),
        (Some(c.ent.as_str()), 404, 404),
        (Some(c.uni.as_str()), 200, 200),
        (Some(c.admin.as_str()), 200, 200),
    ] {
        assert_eq!(status_of(&app, img, token).await, img_status);
        assert_eq!(status_of(&app, doc, token).await, doc_status);
    }
    let path = format!("/api/v1/achievements/{a}/");
    assert_eq!(
        app.post(&format!("{path}submit"), Some(&c.uni), &json!({}))
            .await
            .status,
        200
    );
    let r = app
        .post(
            &format!("{path}review"),
            Some(&c.admin),
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Published: pictures for everyone, documents for those who see `details`.
    for (token, img_status, doc_status) in [
        (None, 200, 404),
        (Some(c.unverified.as_str()), 200, 404),
        (Some(c.ent.as_str()), 200, 200),
        (Some(c.uni.as_str()), 200, 200),
    ] {
        assert_eq!(status_of(&app, img, token).await, img_status, "{token:?}");
        assert_eq!(status_of(&app, doc, token).await, doc_status, "{token:?}");
    }
    let list = |token: Option<String>| {
        let app = &app;
        async move {
            let r = app
                .get(
                    &format!("/api/v1/attachments?parent=achievement&parent_id={a}"),
                    token.as_deref(),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["slot"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(None).await, ["image"]);
    assert_eq!(list(Some(c.ent.clone())).await, ["image", "document"]);
    let t = app
        .get(&format!("/api/v1/files/{img}/thumbnail"), None)
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(t.header("content-type").as_deref(), Some("image/png"));

    // Detached, the document is its uploader's again.
    let d_id = d.body["id"].as_i64().unwrap();
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/attachments/{d_id}"),
            Some(&c.ent),
            None,
        )
        .await;
    assert!(r.status == 403 || r.status == 404, "{}", r.text);
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/attachments/{d_id}"),
            Some(&c.uni),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(status_of(&app, doc, Some(&c.ent)).await, 404);
    assert_eq!(status_of(&app, doc, Some(&c.uni)).await, 200);

    // Uploads and downloads are audited.
    let audit = app.get("/api/v1/audit?entity=file", Some(&c.admin)).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["action"].as_str())
        .collect();
    assert!(actions.contains(&"file.upload"), "{actions:?}");
    assert!(actions.contains(&"file.download"), "{actions:?}");
}

#[actix_rt::test]
async fn downloads_stream_with_ranges_and_safe_headers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let text: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("{:07}\n", i % 10_000_000).into_bytes())
        .collect(); // 1.6 MB
    let id = uploaded(&app, &admin, "技术合同 (终稿).txt", &text).await;
    let whole = download(&app, id, Some(&admin), None).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.text.as_bytes(), &text[..]);
    assert_eq!(whole.header("content-length"), Some(text.len().to_string()));
    assert_eq!(
        whole.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(whole.header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(
        whole.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let cd = whole.header("content-disposition").unwrap();
    assert!(cd.starts_with("attachment; filename=\""), "{cd}");
    assert!(
        cd.contains(
            "filename*=UTF-8''%E6%8A%80%E6%9C%AF%E5%90%88%E5%90%8C%20%28%E7%BB%88%E7%A8%BF%29.txt"
        ),
        "{cd}"
    );
    let part = download(&app, id, Some(&admin), Some("bytes=800000-800015")).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.text.as_bytes(), &text[800_000..800_016]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 800000-800015/{}", text.len()))
    );
    let tail = download(&app, id, Some(&admin), Some("bytes=-8")).await;
    assert_eq!(tail.status, 206);
    assert_eq!(tail.text.as_bytes(), &text[text.len() - 8..]);
    let past = download(&app, id, Some(&admin), Some("bytes=99999999-")).await;
    past.assert_error(416, "range_not_satisfiable");
    assert_eq!(
        past.header("content-range"),
        Some(format!("bytes */{}", text.len()))
    );
    download(&app, 999_999, Some(&admin), None)
        .await
        .assert_error(404, "not_found");
}

#[actix_rt::test]
async fn contracts_orgs_and_challenges_share_files_with_exactly_their_readers() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    // An unverified org uploads its business licence for verification.
    let org = c.unverified_org;
    let licence = uploaded(&app, &c.unverified, "营业执照.pdf", &pdf("licence")).await;
    assert_eq!(
        attach(&app, &c.unverified, "org", org, "verification", licence)
            .await
            .status,
        201
    );
    assert_eq!(status_of(&app, licence, Some(&c.admin)).await, 200);
    assert_eq!(status_of(&app, licence, Some(&c.ent)).await, 404);
    attach(&app, &c.ent, "org", org, "verification", licence)
        .await
        .assert_error(404, "not_found");

    // A contract: its parties, the registry; not others. Registration needs its text.
    let body = json!({"kind": "development", "sub_kind": "commissioned", "seller_org_id": c.uni_org,
        "buyer_org_id": c.ent_org, "signed_on": "2026-01-15", "amount_fen": 100_000_000,
        "tech_amount_fen": 90_000_000, "chain": "machine_tools", "field": "advanced_manufacturing"});
    let contract = app.confirmed_contract(&c.uni, &body, &c.uni, &c.ent).await;
    let k = contract["id"].as_i64().unwrap();
    let request = format!("/api/v1/contracts/{k}/registration-request");
    app.post(&request, Some(&c.uni), &json!({}))
        .await
        .assert_error(422, "contract_text_required");
    let text = uploaded(&app, &c.uni, "合同.docx", &docx()).await;
    let scan = uploaded(&app, &c.ent, "盖章页.png", &png(20, 20)).await;
    let a = attach(&app, &c.uni, "contract", k, "contract_text", text).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(
        attach(&app, &c.ent, "contract", k, "scan", scan)
            .await
            .status,
        201
    );
    let (outsider, _) = member(&app, Account::university(), true, &c.admin).await;
    for file in [text, scan] {
        assert_eq!(status_of(&app, file, Some(&c.uni)).await, 200);
        assert_eq!(status_of(&app, file, Some(&c.ent)).await, 200);
        assert_eq!(status_of(&app, file, Some(&c.admin)).await, 200);
        assert_eq!(status_of(&app, file, Some(&outsider)).await, 404);
        assert_eq!(status_of(&app, file, None).await, 404);
    }
    let r = app.post(&request, Some(&c.uni), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[actix_rt::test]
async fn the_collector_removes_what_nothing_references_after_the_grace_period() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let a = app
        .post("/api/v1/achievements", Some(&uni), &achievement_body())
        .await;
    let a = a.body["id"].as_i64().unwrap();
    let kept = uploaded(&app, &uni, "kept.pdf", &pdf("kept")).await;
    let loose = uploaded(&app, &uni, "loose.pdf", &pdf("loose")).await;
    let shared = pdf("shared");
    let shared_a = uploaded(&app, &uni, "s1.pdf", &shared).await;
    let shared_b = uploaded(&app, &uni, "s2.pdf", &shared).await;
    let picture = uploaded(&app, &uni, "p.png", &png(500, 400)).await;
    for f in [kept, shared_a] {
        assert_eq!(
            attach(&app, &uni, "achievement", a, "document", f)
                .await
                .status,
            201
        );
    }
    let detached = attach(&app, &uni, "achievement", a, "image", picture).await;
    let d = detached.body["id"].as_i64().unwrap();
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/attachments/{d}"),
            Some(&uni),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let before = blobs(&app).len();
    assert_eq!(before, 5, "4 contents and a thumbnail");

    let store: std::sync::Arc<dyn tt_exchange::files::store::FileStore> = std::sync::Arc::new(
        tt_exchange::files::store::LocalStore::new(app.settings.data_dir.join("files/blobs"))
            .unwrap(),
    );
    let run = |grace: i64| {
        let (db, store) = (app.db.clone(), store.clone());
        async move {
            tt_exchange::files::collector::run_once(&db, &store, chrono::Duration::seconds(grace))
                .await
                .unwrap()
        }
    };
    let none = run(3600).await;
    assert_eq!(
        (none.files, none.blobs),
        (0, 0),
        "within the grace period nothing goes"
    );
    let swept = run(-1).await;
    assert_eq!(
        (swept.files, swept.blobs),
        (3, 3),
        "loose, shared_b and the picture; its thumbnail"
    );
    assert_eq!(blobs(&app).len(), 2);
    for (file, status) in [
        (kept, 200),
        (shared_a, 200),
        (loose, 404),
        (shared_b, 404),
        (picture, 404),
    ] {
        assert_eq!(
            status_of(&app, file, Some(&admin)).await,
            status,
            "file {file}"
        );
    }
    assert_eq!(
        download(&app, shared_a, Some(&uni), None)
            .await
            .text
            .as_bytes(),
        &shared[..]
    );
}

#[actix_rt::test]
async fn a_client_gone_mid_upload_leaves_nothing_behind() {
    use std::io::Read;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /api/v1/files HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {admin}\r\nContent-Type: {}\r\nContent-Length: 4000000\r\n\r\n",
        content_type()
    );
    let body = multipart("half.pdf", &pdf(&"x".repeat(3_000_000)));
    let t = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body[..1_000_000]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = s.shutdown(std::net::Shutdown::Both);
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    });
    actix_rt::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(staging(&app).len(), 1, "the upload is being staged");
    t.join().unwrap();
    for _ in 0..50 {
        if staging(&app).is_empty() {
            break;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(staging(&app).is_empty(), "{:?}", staging(&app));
    assert!(blobs(&app).is_empty());
    download(&app, 1, Some(&admin), None)
        .await
        .assert_error(404, "not_found");
}

/// Reads `path` of a server in another process.
async fn http_get(client: &awc::Client, url: String, token: &str) -> u16 {
    client
        .get(url)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[actix_rt::test]
async fn a_server_killed_mid_upload_leaves_no_file_under_a_real_name() {
    use crate::faults::{Server, command, wait_ready};
    let data_dir = tempfile::tempdir().unwrap();
    let pg = crate::helpers::test_database_url().map(|u| crate::helpers::PgDatabase::create(&u));
    let db_url = pg.as_ref().map(|p| p.url.clone());
    let out = command(data_dir.path(), "127.0.0.1:1", db_url.as_deref())
        .args([
            "create-user",
            "--email",
            "ops@qcy.example.cn",
            "--name",
            "运维",
            "--role",
            "admin",
            "--password",
            crate::helpers::PASSWORD,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = std::cell::RefCell::new(Server::start(data_dir.path(), db_url.as_deref()));
    let client = awc::Client::default();
    wait_ready(&server, &client).await;
    let login_url = server.borrow().url("/api/v1/auth/login");
    let login = client
        .post(login_url)
        .send_json(&json!({"email": "ops@qcy.example.cn", "password": crate::helpers::PASSWORD}))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let addr = server.borrow().bind.clone();
    let head = format!(
        "POST /api/v1/files HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {}\r\nContent-Length: 8000000\r\n\r\n",
        content_type()
    );
    let body = multipart("half.pdf", &pdf(&"y".repeat(7_000_000)));
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..3_000_000]).unwrap();
    let staged = data_dir.path().join("files/staging");
    for _ in 0..100 {
        if files_under(&staged)
            .iter()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        {
            break;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(files_under(&staged).len(), 1, "the upload was being staged");
    server.borrow_mut().kill9();
    drop(s);
    let blobs_dir = data_dir.path().join("files/blobs");
    assert!(
        files_under(&blobs_dir).is_empty(),
        "no file under a real name"
    );
    server.borrow_mut().restart();
    wait_ready(&server, &client).await;
    assert!(
        files_under(&staged).is_empty(),
        "the partial upload is cleared at start-up"
    );
    let files_url = server.borrow().url("/api/v1/files/1");
    assert_eq!(http_get(&client, files_url, &token).await, 404);
}

/// A real S3-compatible server (`s3s-fs`, from crates.io) on a loopback port, over a
/// temporary directory; `None` (the test says it is skipped) when the binary is absent.
/// `TT_TEST_S3_SERVER` names the binary; else `s3s-fs` on `PATH`.
struct S3Server {
    child: std::process::Child,
    root: tempfile::TempDir,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const S3_KEY: &str = "tt-test-access";
const S3_SECRET: &str = "tt-test-secret-0123456789";

fn s3_server() -> Option<S3Server> {
    let bin = std::env::var("TT_TEST_S3_SERVER")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "s3s-fs".to_owned());
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("tt-files")).unwrap(); // the bucket
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(&bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", S3_KEY, "--secret-key", S3_SECRET])
        .arg(root.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(child) = child else {
        println!("SKIPPED: no S3-compatible server ({bin} not found; set TT_TEST_S3_SERVER)");
        return None;
    };
    let server = S3Server {
        child,
        root,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{bin} did not listen on {port}");
}

#[actix_rt::test]
async fn the_s3_store_keeps_files_in_a_real_s3_compatible_server() {
    let Some(s3) = s3_server() else { return };
    let endpoint = s3.endpoint.clone();
    let app = spawn_app_with(move |s| {
        s.files_url = Some("s3://tt-files/exchange".into());
        s.files_s3_endpoint = Some(endpoint);
        s.files_s3_region = Some("us-east-1".into());
        s.files_s3_access_key_id = Some(S3_KEY.into());
        s.files_s3_secret_access_key = Some(tt_exchange::config::Secret::new(S3_SECRET));
    })
    .await;
    let admin = app.admin_token().await;
    let text: Vec<u8> = (0..100_000u32)
        .flat_map(|i| format!("{i:07}\n").into_bytes())
        .collect();
    let a = uploaded(&app, &admin, "合同.txt", &text).await;
    let b = uploaded(&app, &admin, "副本.txt", &text).await;
    let objects = files_under(&s3.root.path().join("tt-files"));
    let named: Vec<_> = objects
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == sha256(&text).as_str()))
        .collect();
    assert_eq!(named.len(), 1, "stored once, under the prefix: {objects:?}");
    assert!(named[0].to_string_lossy().contains("exchange"), "{named:?}");
    assert!(blobs(&app).is_empty(), "nothing in the local store");
    let whole = download(&app, b, Some(&admin), None).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.text.as_bytes(), &text[..]);
    let part = download(&app, a, Some(&admin), Some("bytes=400000-400007")).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.text.as_bytes(), &text[400_000..400_008]);
    let picture = uploaded(&app, &admin, "p.png", &png(300, 200)).await;
    let thumb = app
        .get(&format!("/api/v1/files/{picture}/thumbnail"), Some(&admin))
        .await;
    assert_eq!(thumb.status, 200, "{}", thumb.text);

    let store: std::sync::Arc<dyn tt_exchange::files::store::FileStore> = std::sync::Arc::new(
        tt_exchange::files::store::S3Store::new("s3://tt-files/exchange", &app.settings).unwrap(),
    );
    let swept =
        tt_exchange::files::collector::run_once(&app.db, &store, chrono::Duration::seconds(-1))
            .await
            .unwrap();
    assert_eq!(
        (swept.files, swept.blobs),
        (3, 3),
        "two texts and the picture; two contents and the thumbnail"
    );
    let left = files_under(&s3.root.path().join("tt-files"));
    assert!(
        left.iter()
            .all(|p| p.file_name().is_none_or(|n| n != sha256(&text).as_str())),
        "{left:?}"
    );
    download(&app, a, Some(&admin), None)
        .await
        .assert_error(404, "not_found");
}

/// A demand's documents follow `details` like an achievement's; a challenge application's
/// proposal and its milestones' reports are read by the challenge's org, the applicant org
/// and admins, and not by another applicant or the public.
#[actix_rt::test]
async fn demands_applications_and_milestones_share_files_with_exactly_their_readers() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let mut body = demand_body();
    let apply_by = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    body["challenge"] = json!({"bounty_fen": 100_000_000i64, "apply_by": apply_by,
        "criteria": "补偿后热漂移≤8微米", "max_winners": 1});
    let challenge = published(&app, "demands", &c.ent, &c.admin, &body).await;
    let spec = uploaded(&app, &c.ent, "技术指标.pdf", &pdf("spec")).await;
    let r = attach(&app, &c.ent, "demand", challenge, "document", spec).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Another org sees the published demand but may not add to it.
    let own = uploaded(&app, &c.uni, "建议.pdf", &pdf("uni")).await;
    attach(&app, &c.uni, "demand", challenge, "document", own)
        .await
        .assert_error(403, "forbidden");
    for (token, status) in [
        (None, 404),
        (Some(c.unverified.as_str()), 404),
        (Some(c.uni.as_str()), 200),
    ] {
        assert_eq!(status_of(&app, spec, token).await, status, "{token:?}");
    }

    // Two universities apply; the first attaches its proposal.
    let (rival, _) = member(&app, Account::university(), true, &c.admin).await;
    let mut applications = Vec::new();
    for token in [&c.uni, &rival] {
        let r = app
            .post(
                &format!("/api/v1/demands/{challenge}/applications"),
                Some(token),
                &json!({"proposal": "温度场测点优化与热误差预测模型，三个月内现场验证。", "budget_fen": 80_000_000i64}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        applications.push(r.body["id"].as_i64().unwrap());
    }
    let proposal = uploaded(&app, &c.uni, "揭榜方案.docx", &docx()).await;
    let r = attach(
        &app,
        &c.uni,
        "application",
        applications[0],
        "proposal",
        proposal,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    attach(
        &app,
        &c.uni,
        "application",
        applications[0],
        "report",
        proposal,
    )
    .await
    .assert_error(400, "invalid_attachment");
    let readers = [
        (Some(c.uni.as_str()), 200),
        (Some(c.ent.as_str()), 200),
        (Some(c.admin.as_str()), 200),
        (Some(rival.as_str()), 404),
        (None, 404),
    ];
    for (token, status) in readers {
        assert_eq!(status_of(&app, proposal, token).await, status, "{token:?}");
    }

    // The first is selected; a milestone of its work carries a report the same readers see.
    let r = app
        .post(
            &format!("/api/v1/applications/{}/decision", applications[0]),
            Some(&c.ent),
            &json!({"decision": "select"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string();
    let r = app
        .post(
            &format!("/api/v1/demands/{challenge}/milestones"),
            Some(&c.ent),
            &json!({"title": "样机试制", "due_on": due, "share_bp": 5000}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let m = r.body["id"].as_i64().unwrap();
    let report = uploaded(&app, &c.uni, "阶段报告.pdf", &pdf("report")).await;
    let theirs = uploaded(&app, &rival, "阶段报告.pdf", &pdf("rival")).await;
    attach(&app, &rival, "milestone", m, "report", theirs)
        .await
        .assert_error(404, "not_found");
    let r = attach(&app, &c.uni, "milestone", m, "report", report).await;
    assert_eq!(r.status, 201, "{}", r.text);
    for (token, status) in readers {
        assert_eq!(status_of(&app, report, token).await, status, "{token:?}");
    }
}
