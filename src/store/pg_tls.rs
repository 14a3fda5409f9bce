//! TLS to a PostgreSQL server, checked against a CA (ADR 0016).
//!
//! The database URL names it as libpq does: `sslmode=verify-full` (the server's certificate
//! chains to a trusted CA and names the host connected to) or `sslmode=verify-ca` (chains
//! only), with `sslrootcert=FILE` (PEM CA certificates) or `sslrootcert=system` (the
//! system's CA bundle). Those two parameters are taken out of the URL here, before
//! `tokio-postgres` reads the rest; it knows neither. The modes that encrypt without
//! checking who answers (`allow`, `prefer`, `require`) are refused for a new database: a
//! man in the middle could read the session and answer with an old copy of the records.
//! A connection that must use TLS never falls back to plaintext (a server that will not
//! speak TLS is refused).

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use postgres::config::{Host, SslMode};
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use postgres::Socket;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Whom the server's certificate must be signed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// The CA certificates of a PEM file.
    File(PathBuf),
    /// The system's CA bundle (`SSL_CERT_FILE`, else the usual places).
    System,
}

/// How a connection to the database is protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tls {
    /// Plaintext: a local socket, loopback, or `sslmode=disable` given.
    Off,
    /// TLS, the server's certificate checked against `roots`; with `host_name`, it must
    /// also name the host connected to (`verify-full`).
    Checked { roots: Roots, host_name: bool },
}

impl Tls {
    /// Takes `sslmode` and `sslrootcert` out of `url`: gives back what is left (for
    /// `tokio-postgres`, whose config then gets [`Tls::ssl_mode`]), the protection, and the
    /// `sslmode` given (for [`Tls::check_new`]).
    pub(crate) fn from_url(url: &str) -> Result<(String, Tls, Option<String>), String> {
        let (rest, taken) = take_params(url, &["sslmode", "sslrootcert"])?;
        let [mode, root] = taken;
        let tls = match (mode.as_deref(), root) {
            (Some("verify-full" | "verify-ca"), None) => {
                return Err(
                    "sslmode=verify-full and verify-ca need sslrootcert=FILE (the \
                            CA's certificates, PEM) or sslrootcert=system"
                        .to_owned(),
                )
            }
            (Some("verify-ca"), Some(root)) if root == "system" => {
                // Any public CA signs a certificate for some name: anyone could answer.
                return Err("sslmode=verify-ca with sslrootcert=system would take any \
                            publicly signed certificate: use sslmode=verify-full"
                    .to_owned());
            }
            (Some(m @ ("verify-full" | "verify-ca")), Some(root)) => Tls::Checked {
                roots: match root.as_str() {
                    "system" => Roots::System,
                    file if std::path::Path::new(file).is_absolute() => {
                        Roots::File(PathBuf::from(file))
                    }
                    // Relative to wherever the wallet runs: maybe a directory others write.
                    _ => return Err("sslrootcert must be an absolute path (or system)".to_owned()),
                },
                host_name: m == "verify-full",
            },
            (_, Some(_)) => {
                return Err("sslrootcert is used only with sslmode=verify-full or \
                            sslmode=verify-ca"
                    .to_owned())
            }
            // `require` never connected before (it needs TLS, which was not built), so no
            // stored URL has it: refused everywhere, never read as plaintext.
            (Some("require"), None) => return Err(unchecked("require")),
            // Stored URLs with these connected in plaintext, and still do.
            (None | Some("disable" | "allow" | "prefer"), None) => Tls::Off,
            (Some(other), None) => {
                return Err(format!(
                    "sslmode={other} is not one of disable, verify-ca, verify-full"
                ))
            }
        };
        Ok((rest, tls, mode))
    }

    /// For a new database: a host that is not this machine must be reached over checked
    /// TLS, or `sslmode=disable` be given; modes that do not check the server are refused.
    pub(crate) fn check_new(
        &self,
        mode: Option<&str>,
        hosts: &[Host],
        addrs: &[IpAddr],
    ) -> Result<(), String> {
        match mode {
            Some(m @ ("allow" | "prefer")) => return Err(unchecked(m)),
            Some(_) => return Ok(()),
            None => {}
        }
        // `hostaddr` is where the connection goes when given (`host` then only names it).
        let remote = addrs
            .iter()
            .find(|ip| !ip.is_loopback())
            .map(IpAddr::to_string)
            .or_else(|| {
                hosts.iter().find_map(|h| match h {
                    Host::Tcp(name) if !is_local(name) => Some(name.clone()),
                    _ => None,
                })
            });
        match remote {
            Some(host) => Err(format!(
                "the database at {host} would be reached without TLS: add \
                 sslmode=verify-full&sslrootcert=FILE (the CA's certificates, PEM; or \
                 sslrootcert=system) to the URL, or sslmode=disable to accept a plaintext \
                 connection (records are sealed either way; the network would see their \
                 names and sizes)"
            )),
            None => Ok(()),
        }
    }

    /// What `tokio-postgres` must do: ask for TLS and never go without it, or not ask.
    pub(crate) fn ssl_mode(&self) -> SslMode {
        match self {
            Tls::Off => SslMode::Disable,
            Tls::Checked { .. } => SslMode::Require,
        }
    }

    /// The connector for a checked connection (the CA file read now).
    pub(crate) fn connector(&self) -> Result<Option<Connector>, String> {
        let Tls::Checked { roots, host_name } = self else {
            return Ok(None);
        };
        let mut store = rustls::RootCertStore::empty();
        let (certs, from) = match roots {
            Roots::File(file) => (read_certs(file)?, file.display().to_string()),
            Roots::System => {
                let mut last = "none of the usual places has one (set SSL_CERT_FILE)".to_owned();
                crate::net::client::system_ca_candidates()
                    .into_iter()
                    .find_map(|f| match read_certs(&f) {
                        Ok(c) => Some((c, f.display().to_string())),
                        Err(e) => {
                            last = e;
                            None
                        }
                    })
                    .ok_or(format!("sslrootcert=system: no CA bundle: {last}"))?
            }
        };
        let (added, _) = store.add_parsable_certificates(certs);
        if added == 0 {
            return Err(format!(
                "sslrootcert {from}: no usable CA certificate in it"
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let checked =
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                .build()
                .map_err(|e| format!("sslrootcert {from}: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = if *host_name {
            checked
        } else {
            Arc::new(AnyName(checked))
        };
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        // PostgreSQL 17's direct TLS negotiation requires it; harmless otherwise.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Some(Connector(Arc::new(config))))
    }
}

/// Why `sslmode=mode` is refused.
fn unchecked(mode: &str) -> String {
    format!(
        "sslmode={mode} encrypts without checking who answers: use sslmode=verify-full with \
         sslrootcert=FILE (the CA's certificates, PEM) or sslrootcert=system, or \
         sslmode=disable"
    )
}

fn read_certs(file: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("sslrootcert {}: {e}", file.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "sslrootcert {}: no PEM CERTIFICATE block in it",
            file.display()
        ));
    }
    Ok(certs)
}

/// `localhost`, or a loopback address.
fn is_local(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Takes the parameters `keys` out of a connection string, in either of libpq's forms
/// (`postgres://…?key=value&…`, or `key=value key='value' …`, read as `tokio-postgres`
/// reads them), and gives back the rest with each key's value. A key given twice is
/// refused. Errors never repeat what the string holds: it may hold a password.
fn take_params<const N: usize>(
    url: &str,
    keys: &[&str; N],
) -> Result<(String, [Option<String>; N]), String> {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    let mut keep = |key: &str, value: String| match keys.iter().position(|k| *k == key) {
        Some(i) if found[i].is_some() => Err(format!("{key} is given twice")),
        Some(i) => {
            found[i] = Some(value);
            Ok(false)
        }
        None => Ok(true),
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), found));
        };
        // `tokio-postgres` takes everything up to the first `@` as the user part.
        if query.contains('@') && !base.contains('@') {
            return Err("a `@` after the URL's `?`: give the user before the host".to_owned());
        }
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if keep(&percent_decode(key)?, percent_decode(value)?)? {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, found));
    }
    // key=value form: a value is a word, or quoted with '…' (\' and \\ escaped).
    let mut rest = String::new();
    let mut chars = url.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut key = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if chars.next().map(|(_, c)| c) != Some('=') {
            return Err("a parameter of the connection string has no `=`".to_owned());
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if(|(_, c)| *c == '\'').is_some() {
            loop {
                match chars.next() {
                    Some((_, '\'')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c)) => value.push(c),
                        None => return Err("unterminated quoted value".to_owned()),
                    },
                    Some((_, c)) => value.push(c),
                    None => return Err("unterminated quoted value".to_owned()),
                }
            }
        } else {
            while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    c => value.push(c),
                }
            }
        }
        let end = chars.peek().map_or(url.len(), |&(i, _)| i);
        if keep(&key, value)? {
            rest.push_str(url[start..end].trim_end());
            rest.push(' ');
        }
    }
    Ok((rest.trim_end().to_owned(), found))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a bad percent escape in the URL's parameters")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a parameter of the URL is not UTF-8".to_owned())
}

/// `verify-ca`: the chain is checked, the name in the certificate is not.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Makes checked TLS sessions for `tokio-postgres`.
#[derive(Clone)]
pub(crate) struct Connector(Arc<rustls::ClientConfig>);

/// One host's TLS handshake.
pub(crate) struct Handshake {
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
}

/// A TLS session with the server.
pub(crate) struct Session(tokio_rustls::client::TlsStream<Socket>);

impl MakeTlsConnect<Socket> for Connector {
    type Stream = Session;
    type TlsConnect = Handshake;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Handshake, Self::Error> {
        Ok(Handshake {
            config: self.0.clone(),
            name: ServerName::try_from(domain.trim_matches(['[', ']']))?.to_owned(),
        })
    }
}

impl TlsConnect<Socket> for Handshake {
    type Stream = Session;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Session>> + Send>>;

    fn connect(self, socket: Socket) -> Self::Future {
        let connector = tokio_rustls::TlsConnector::from(self.config);
        Box::pin(async move { connector.connect(self.name, socket).await.map(Session) })
    }
}

impl TlsStream for Session {
    /// No channel binding: the certificate is checked instead (SCRAM's `-PLUS` is not
    /// offered; `channel_binding=require` in the URL fails).
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

impl AsyncRead for Session {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Session {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> Result<(String, Tls), String> {
        Tls::from_url(url).map(|(rest, tls, _)| (rest, tls))
    }

    #[test]
    fn the_tls_parameters_are_taken_out_of_either_form() {
        let checked = |file: &str, host_name| Tls::Checked {
            roots: Roots::File(PathBuf::from(file)),
            host_name,
        };
        assert_eq!(
            split("postgres://u@db/x?sslmode=verify-full&sslrootcert=%2Fca%20dir%2Fca.pem")
                .unwrap(),
            (
                "postgres://u@db/x".to_owned(),
                checked("/ca dir/ca.pem", true)
            )
        );
        assert_eq!(
            split("postgresql://u@db/x?connect_timeout=5&sslrootcert=system&sslmode=verify-full")
                .unwrap(),
            (
                "postgresql://u@db/x?connect_timeout=5".to_owned(),
                Tls::Checked {
                    roots: Roots::System,
                    host_name: true
                }
            )
        );
        assert_eq!(
            split("host=db sslmode = verify-full sslrootcert='/ca \\'q\\'.pem' dbname=x").unwrap(),
            ("host=db dbname=x".to_owned(), checked("/ca 'q'.pem", true))
        );
        // A backslash escapes in a plain value too: no parameter hides behind it.
        assert_eq!(
            split("host=db application_name=x\\ sslmode=disable").unwrap(),
            (
                "host=db application_name=x\\ sslmode=disable".to_owned(),
                Tls::Off
            )
        );
        assert_eq!(
            split("host=db dbname='a b'").unwrap(),
            ("host=db dbname='a b'".to_owned(), Tls::Off)
        );
        assert_eq!(
            split("postgres://u@db/x?sslmode=prefer").unwrap(),
            ("postgres://u@db/x".to_owned(), Tls::Off)
        );
        // `require` is refused even in a stored URL: it never connected, and must not
        // now connect in plaintext.
        assert!(split("postgres://u@db/x?sslmode=require")
            .unwrap_err()
            .contains("without checking"));
        for bad in [
            "postgres://u@db/x?sslmode=verify-full",
            "postgres://u@db/x?sslrootcert=/ca.pem",
            "postgres://u@db/x?sslmode=verify-all&sslrootcert=/ca.pem",
            "postgres://u@db/x?sslmode=verify-ca&sslrootcert=",
            "host=db sslrootcert='/ca.pem",
            "host=db sslmode",
            "postgres://u@db/x?sslmode=verify-ca&sslrootcert=system",
            "postgres://u@db/x?sslmode=verify-full&sslrootcert=ca.pem",
            "postgres://u@db/x?sslmode=verify-full&sslrootcert=/ca.pem&%73slmode=disable",
            "host=db sslmode=verify-full sslrootcert=/a.pem sslrootcert=/b.pem",
            "postgres://db/x?sslmode=disable&user=u@evil",
        ] {
            assert!(split(bad).is_err(), "{bad}");
        }
        // What may be a password is never repeated.
        for url in ["postgres://u@db/x?password=hunter%ZZ", "host=db hunter2"] {
            let e = split(url).unwrap_err();
            assert!(!e.contains("hunter"), "{e}");
        }
    }

    #[test]
    fn a_new_database_off_this_machine_needs_checked_tls_or_an_explicit_disable() {
        let check = |url: &str| {
            let (rest, tls, mode) = Tls::from_url(url)?;
            let config: postgres::Config = rest.parse().map_err(|e| format!("{e}"))?;
            tls.check_new(mode.as_deref(), config.get_hosts(), config.get_hostaddrs())
        };
        for ok in [
            "postgres://u@localhost/x",
            "postgres://u@127.0.0.1:5432/x",
            "postgres://u@[::1]/x",
            "host=/run/postgresql dbname=x",
            "postgres://u@db.example/x?sslmode=disable",
            "postgres://u@db.example/x?sslmode=verify-full&sslrootcert=/ca.pem",
            "postgres://u@10.0.0.5/x?sslmode=verify-ca&sslrootcert=/ca.pem",
            "host=localhost hostaddr=127.0.0.1 dbname=x",
        ] {
            check(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for (bad, says) in [
            ("postgres://u@db.example/x", "without TLS"),
            ("postgres://u@localhost,db.example/x", "without TLS"),
            ("host=10.0.0.5 dbname=x", "without TLS"),
            (
                "host=localhost hostaddr=203.0.113.5 dbname=x",
                "203.0.113.5",
            ),
            ("hostaddr=203.0.113.5 dbname=x", "203.0.113.5"),
            (
                "postgres://u@localhost/x?hostaddr=203.0.113.5",
                "203.0.113.5",
            ),
            (
                "postgres://u@localhost/x?sslmode=require",
                "without checking",
            ),
            (
                "postgres://u@db.example/x?sslmode=prefer",
                "without checking",
            ),
        ] {
            let e = check(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
