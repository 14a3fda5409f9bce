//! Test vectors: BIP118 ANYPREVOUT digests (`asyncpay::crypto::bip118`), BIP340 Schnorr
//! signatures, BIP341 taproot outputs and key-path digests, and BIP327 MuSig2 (via the
//! `musig2` crate). The data files live in `tests/vectors/` (origins in its README.md) and are
//! read at run time.
//!
//! `ASYNCPAY_EXTRA_VECTORS=DIR` runs every `*.json` in DIR that has the schema of
//! `bip118/apo_sighash.json` (a `sighash_cases` array) through the same BIP118 checks.

use std::path::{Path, PathBuf};

use asyncpay::crypto::bip118::{
    signature_hash, signature_message, KeyVersion, SighashError, SpendPath,
};
use bitcoin::hashes::Hash;
use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::taproot::{ControlBlock, LeafVersion};
use bitcoin::{Amount, ScriptBuf, TapLeafHash, Transaction, TxOut};
use musig2::secp::{Point, Scalar};
use musig2::{BinaryEncoding, CompactSignature};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{}: read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: json: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// JSON helpers: every accessor returns an error naming the field instead of panicking, so a
// malformed case becomes one reported failure.

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, String> {
    v.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    field(v, key)?
        .as_str()
        .ok_or_else(|| format!("field `{key}` is not a string"))
}

fn opt_str<'a>(v: &'a Value, key: &str) -> Result<Option<&'a str>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("field `{key}` is neither null nor a string")),
    }
}

fn u64_field(v: &Value, key: &str) -> Result<u64, String> {
    field(v, key)?
        .as_u64()
        .ok_or_else(|| format!("field `{key}` is not an unsigned integer"))
}

fn opt_u64(v: &Value, key: &str) -> Result<Option<u64>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("field `{key}` is neither null nor an unsigned integer")),
    }
}

fn bool_field(v: &Value, key: &str) -> Result<bool, String> {
    field(v, key)?
        .as_bool()
        .ok_or_else(|| format!("field `{key}` is not a boolean"))
}

fn array_field<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    field(v, key)?
        .as_array()
        .ok_or_else(|| format!("field `{key}` is not an array"))
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    Vec::<u8>::from_hex(s).map_err(|e| format!("bad hex {s:?}: {e}"))
}

fn hex_field(v: &Value, key: &str) -> Result<Vec<u8>, String> {
    unhex(str_field(v, key)?).map_err(|e| format!("field `{key}`: {e}"))
}

fn opt_hex(v: &Value, key: &str) -> Result<Option<Vec<u8>>, String> {
    opt_str(v, key)?
        .map(|s| unhex(s).map_err(|e| format!("field `{key}`: {e}")))
        .transpose()
}

fn hex32_field(v: &Value, key: &str) -> Result<[u8; 32], String> {
    let bytes = hex_field(v, key)?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("field `{key}` is {} bytes, expected 32", bytes.len()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.to_lower_hex_string()
}

fn parse_tx(hex_str: &str) -> Result<Transaction, String> {
    bitcoin::consensus::deserialize(&unhex(hex_str)?).map_err(|e| format!("bad transaction: {e}"))
}

fn parse_spent_outputs(v: &Value) -> Result<Vec<TxOut>, String> {
    array_field(v, "spent_outputs")?
        .iter()
        .map(|o| {
            Ok(TxOut {
                value: Amount::from_sat(u64_field(o, "value_sat")?),
                script_pubkey: ScriptBuf::from_bytes(hex_field(o, "script_pubkey_hex")?),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// BIP118

/// The digest inputs of one case of `apo_sighash.json`.
struct ApoInputs {
    tx: Transaction,
    input_index: usize,
    spent_outputs: Vec<TxOut>,
    hash_type: u8,
    path: SpendPath,
    annex: Option<Vec<u8>>,
    leaf_script: Option<ScriptBuf>,
}

impl ApoInputs {
    fn parse(v: &Value) -> Result<Self, String> {
        let hash_type = u64_field(v, "hash_type")?;
        let hash_type =
            u8::try_from(hash_type).map_err(|_| format!("hash_type {hash_type} is not a byte"))?;
        let spend_path = str_field(v, "spend_path")?;
        let key_version = opt_u64(v, "key_version")?;
        let path = match (spend_path, key_version) {
            ("keypath", None) => SpendPath::KeyPath,
            ("tapscript", Some(kv)) => {
                let key_version = match kv {
                    0 => KeyVersion::Taproot,
                    1 => KeyVersion::AnyPrevout,
                    other => return Err(format!("unknown key_version {other}")),
                };
                let codesep_pos = u64_field(v, "codesep_pos")?;
                SpendPath::Tapscript {
                    leaf_hash: TapLeafHash::from_byte_array(hex32_field(v, "leaf_hash_hex")?),
                    key_version,
                    codesep_pos: u32::try_from(codesep_pos)
                        .map_err(|_| format!("codesep_pos {codesep_pos} exceeds u32"))?,
                }
            }
            (p, kv) => {
                return Err(format!(
                    "inconsistent spend_path {p:?} / key_version {kv:?}"
                ))
            }
        };
        let input_index = u64_field(v, "input_index")? as usize;
        Ok(ApoInputs {
            tx: parse_tx(str_field(v, "tx_hex")?)?,
            input_index,
            spent_outputs: parse_spent_outputs(v)?,
            hash_type,
            path,
            annex: opt_hex(v, "annex_hex")?,
            leaf_script: opt_hex(v, "leaf_script_hex")?.map(ScriptBuf::from_bytes),
        })
    }

    /// The same inputs with another transaction and other spent outputs (rebind checks).
    fn with_tx(&self, tx: Transaction, spent_outputs: Vec<TxOut>) -> Self {
        ApoInputs {
            tx,
            spent_outputs,
            annex: self.annex.clone(),
            leaf_script: self.leaf_script.clone(),
            ..*self
        }
    }

    fn message(&self) -> Result<Vec<u8>, SighashError> {
        signature_message(
            &self.tx,
            self.input_index,
            &self.spent_outputs,
            self.hash_type,
            self.path,
            self.annex.as_deref(),
        )
    }

    fn hash(&self) -> Result<[u8; 32], SighashError> {
        signature_hash(
            &self.tx,
            self.input_index,
            &self.spent_outputs,
            self.hash_type,
            self.path,
            self.annex.as_deref(),
        )
    }

    /// The leaf hash given in the case must be the tapleaf hash of the given leaf script.
    fn check_leaf_hash(&self, leaf_version: Option<u64>) -> Result<(), String> {
        let (SpendPath::Tapscript { leaf_hash, .. }, Some(script)) = (self.path, &self.leaf_script)
        else {
            return Ok(());
        };
        let version = leaf_version.unwrap_or(0xc0);
        let version = u8::try_from(version)
            .ok()
            .and_then(|v| LeafVersion::from_consensus(v).ok())
            .ok_or_else(|| format!("bad leaf_version {version}"))?;
        let computed = TapLeafHash::from_script(script, version);
        if computed != leaf_hash {
            return Err(format!(
                "leaf_hash_hex {} is not the tapleaf hash of leaf_script_hex ({})",
                hex(leaf_hash.as_byte_array()),
                hex(computed.as_byte_array())
            ));
        }
        Ok(())
    }
}

/// Case counts of one BIP118 vector file.
#[derive(Debug, Default, Clone, Copy)]
struct ApoCounts {
    digests: usize,
    invalid: usize,
    signatures: usize,
    rebinds: usize,
}

impl std::fmt::Display for ApoCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} digests, {} invalid, {} signatures ({} rebind checks)",
            self.digests, self.invalid, self.signatures, self.rebinds
        )
    }
}

fn case_id(v: &Value, i: usize) -> String {
    v.get("id")
        .or_else(|| v.get("case_id"))
        .and_then(Value::as_str)
        .map_or_else(|| format!("#{i}"), str::to_string)
}

fn check_sighash_case(v: &Value) -> Result<(), String> {
    let inputs = ApoInputs::parse(v)?;
    inputs.check_leaf_hash(opt_u64(v, "leaf_version")?)?;
    let msg = inputs
        .message()
        .map_err(|e| format!("unexpected error: {e}"))?;
    let want_msg = str_field(v, "sigmsg_hex")?;
    if hex(&msg) != want_msg.to_lowercase() {
        return Err(format!("sigmsg {} != expected {want_msg}", hex(&msg)));
    }
    let hash = inputs
        .hash()
        .map_err(|e| format!("unexpected error: {e}"))?;
    let want_hash = str_field(v, "sighash_hex")?;
    if hex(&hash) != want_hash.to_lowercase() {
        return Err(format!("sighash {} != expected {want_hash}", hex(&hash)));
    }
    Ok(())
}

fn check_invalid_case(v: &Value) -> Result<(), String> {
    let inputs = ApoInputs::parse(v)?;
    let err = match inputs.message() {
        Ok(msg) => return Err(format!("expected an error, got sigmsg {}", hex(&msg))),
        Err(e) => e,
    };
    // Where the file names the reason, the error must be that reason.
    let expected = opt_str(v, "error")?.unwrap_or("");
    let kind_ok = if expected.contains("APO/APOAS") {
        matches!(
            err,
            SighashError::AnyPrevoutOnKeyPath(_) | SighashError::AnyPrevoutWithTaprootKey(_)
        )
    } else if expected.contains("SIGHASH_SINGLE") {
        matches!(err, SighashError::SingleWithoutOutput { .. })
    } else if expected.contains("undefined hash_type") {
        matches!(err, SighashError::UndefinedHashType(_))
    } else {
        true
    };
    if !kind_ok {
        return Err(format!(
            "error {err:?} ({err}) is not the expected {expected:?}"
        ));
    }
    if inputs.hash().is_ok() {
        return Err("signature_hash succeeded where signature_message failed".into());
    }
    Ok(())
}

fn verify_bip340(pubkey_x: [u8; 32], sig: &[u8], msg: &[u8]) -> bool {
    let Ok(pk) = Point::lift_x(pubkey_x) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig) else {
        return false;
    };
    musig2::verify_single(pk, sig, msg).is_ok()
}

fn sign_bip340(seckey: Scalar, msg: &[u8], aux: [u8; 32]) -> [u8; 64] {
    let sig: CompactSignature = musig2::sign_solo(seckey, msg, aux);
    sig.to_bytes()
}

/// Checks one `signature_cases` entry; returns the number of rebind checks done.
fn check_signature_case(v: &Value) -> Result<usize, String> {
    let inputs = ApoInputs::parse(v)?;
    inputs.check_leaf_hash(opt_u64(v, "leaf_version")?)?;
    let digest = inputs
        .hash()
        .map_err(|e| format!("unexpected error: {e}"))?;
    let want = str_field(v, "sighash_hex")?;
    if hex(&digest) != want.to_lowercase() {
        return Err(format!("sighash {} != expected {want}", hex(&digest)));
    }

    let pubkey_x = hex32_field(v, "pubkey_xonly_hex")?;
    let sig = hex_field(v, "signature_hex")?;
    if !verify_bip340(pubkey_x, &sig, &digest) {
        return Err("signature_hex does not verify under pubkey_xonly_hex".into());
    }
    let seckey = Scalar::from_slice(&hex_field(v, "privkey_hex")?)
        .map_err(|_| "privkey_hex is not a valid secret key".to_string())?;
    if seckey.base_point_mul().serialize_xonly() != pubkey_x {
        return Err("privkey_hex does not belong to pubkey_xonly_hex".into());
    }
    let resigned = sign_bip340(seckey, &digest, hex32_field(v, "aux_rand_hex")?);
    if resigned.as_slice() != sig.as_slice() {
        return Err(format!(
            "re-signing with privkey and aux gives {}, expected {}",
            hex(&resigned),
            hex(&sig)
        ));
    }

    let mut witness_sig = sig.clone();
    if inputs.hash_type != 0 {
        witness_sig.push(inputs.hash_type);
    }
    let want_witness_sig = hex_field(v, "witness_signature_hex")?;
    if want_witness_sig != witness_sig {
        return Err(format!(
            "witness_signature_hex {} != signature || hash_type {}",
            hex(&want_witness_sig),
            hex(&witness_sig)
        ));
    }
    check_witness_stack(v, &inputs, &witness_sig, pubkey_x)?;

    let mut rebinds = 0;
    for (j, r) in array_field(v, "rebind_checks")?.iter().enumerate() {
        let what = opt_str(r, "what_changed")?.unwrap_or("?");
        let ctx = |e: String| format!("rebind {j} ({what}): {e}");
        let tx = parse_tx(str_field(r, "tx_hex")?).map_err(ctx)?;
        let mutated = inputs.with_tx(tx, parse_spent_outputs(r).map_err(ctx)?);
        let digest = mutated
            .hash()
            .map_err(|e| ctx(format!("unexpected error: {e}")))?;
        let want = str_field(r, "sighash_hex").map_err(ctx)?;
        if hex(&digest) != want.to_lowercase() {
            return Err(ctx(format!("sighash {} != expected {want}", hex(&digest))));
        }
        let valid = verify_bip340(pubkey_x, &sig, &digest);
        let want_valid = bool_field(r, "signature_valid").map_err(ctx)?;
        if valid != want_valid {
            return Err(ctx(format!(
                "signature verifies: {valid}, expected {want_valid}"
            )));
        }
        rebinds += 1;
    }
    Ok(rebinds)
}

/// The witness stack must be consistent with the case: the signature first, the annex last
/// (when present), and for tapscript the leaf script and a control block that commits it to
/// the spent output's key.
fn check_witness_stack(
    v: &Value,
    inputs: &ApoInputs,
    witness_sig: &[u8],
    pubkey_x: [u8; 32],
) -> Result<(), String> {
    let Some(stack) = v.get("witness_stack_hex") else {
        return Ok(());
    };
    let mut stack: Vec<Vec<u8>> = stack
        .as_array()
        .ok_or("witness_stack_hex is not an array")?
        .iter()
        .map(|e| {
            e.as_str()
                .ok_or("witness element is not a string")
                .map(unhex)
        })
        .collect::<Result<Result<_, _>, _>>()??;
    if let Some(annex) = &inputs.annex {
        if stack.pop().as_ref() != Some(annex) {
            return Err("witness stack does not end with the annex".into());
        }
    }
    // Key path: [sig]; tapscript: [script inputs.., script, control]. A multisig leaf takes
    // other signers' signatures too, so ours need not be the first element.
    let script_inputs = match inputs.path {
        SpendPath::KeyPath => &stack[..],
        SpendPath::Tapscript { .. } => &stack[..stack.len().saturating_sub(2)],
    };
    if !script_inputs.iter().any(|e| e.as_slice() == witness_sig) {
        return Err("witness_signature_hex is not among the witness stack's script inputs".into());
    }
    let spent_spk = &inputs.spent_outputs[inputs.input_index].script_pubkey;
    let output_key = match spent_spk.as_bytes() {
        [0x51, 0x20, key @ ..] if key.len() == 32 => bitcoin::XOnlyPublicKey::from_slice(key)
            .map_err(|e| format!("spent scriptPubKey has an invalid output key: {e}"))?,
        _ => return Err("spent output is not P2TR".into()),
    };
    match inputs.path {
        SpendPath::KeyPath => {
            if stack.len() != 1 {
                return Err(format!("key-path witness has {} elements", stack.len()));
            }
            if output_key.serialize() != pubkey_x {
                return Err("key path: pubkey_xonly_hex is not the output key".into());
            }
        }
        SpendPath::Tapscript { key_version, .. } => {
            let control = stack.pop().ok_or("witness stack has no control block")?;
            let script = ScriptBuf::from_bytes(stack.pop().ok_or("witness has no leaf script")?);
            if Some(&script) != inputs.leaf_script.as_ref() {
                return Err("witness leaf script != leaf_script_hex".into());
            }
            let control =
                ControlBlock::decode(&control).map_err(|e| format!("bad control block: {e}"))?;
            let secp = bitcoin::secp256k1::Secp256k1::verification_only();
            if !control.verify_taproot_commitment(&secp, output_key, &script) {
                return Err("control block does not commit the leaf to the spent output".into());
            }
            let element = hex_field(v, "script_key_element_hex")?;
            let key_ok = match (key_version, element.as_slice()) {
                (KeyVersion::AnyPrevout, [0x01]) => control.internal_key.serialize() == pubkey_x,
                (KeyVersion::AnyPrevout, [0x01, key @ ..]) => key == pubkey_x,
                (KeyVersion::Taproot, key) => key == pubkey_x,
                _ => false,
            };
            if !key_ok {
                return Err(format!(
                    "script_key_element_hex {} does not match key_version {key_version:?} and \
                     pubkey_xonly_hex",
                    hex(&element)
                ));
            }
            if element.len() > 1 && !contains(script.as_bytes(), &element) {
                return Err("leaf script does not contain script_key_element_hex".into());
            }
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs every case of an `apo_sighash.json`-schema document; returns the counts of cases that
/// were checked and one message per failed case (naming `label` and the case id).
fn check_apo_value(doc: &Value, label: &str) -> (ApoCounts, Vec<String>) {
    let mut counts = ApoCounts::default();
    let mut failures = Vec::new();
    let sections: [(&str, &mut usize); 3] = [
        ("sighash_cases", &mut counts.digests),
        ("invalid_cases", &mut counts.invalid),
        ("signature_cases", &mut counts.signatures),
    ];
    for (section, count) in sections {
        let cases = match doc.get(section) {
            None if section != "sighash_cases" => continue,
            Some(Value::Array(cases)) => cases,
            _ => {
                failures.push(format!("{label}: `{section}` missing or not an array"));
                continue;
            }
        };
        for (i, case) in cases.iter().enumerate() {
            let result = match section {
                "sighash_cases" => check_sighash_case(case).map(|()| 0),
                "invalid_cases" => check_invalid_case(case).map(|()| 0),
                _ => check_signature_case(case),
            };
            match result {
                Ok(rebinds) => {
                    *count += 1;
                    counts.rebinds += rebinds;
                }
                Err(e) => failures.push(format!("{label}: {section} {}: {e}", case_id(case, i))),
            }
        }
    }
    (counts, failures)
}

/// The BIP118 checks on one file: counts of passed cases and the failures.
fn check_apo_file(path: &Path) -> (ApoCounts, Vec<String>) {
    match read_json(path) {
        Ok(doc) => check_apo_value(&doc, &path.display().to_string()),
        Err(e) => (ApoCounts::default(), vec![e]),
    }
}

/// Runs every `*.json` in `dir` that has a `sighash_cases` array through [`check_apo_file`].
/// `Ok` holds one summary line per file; `Err` the failures, or says that no file matched.
fn check_apo_dir(dir: &Path) -> Result<Vec<String>, Vec<String>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| vec![format!("{}: cannot read directory: {e}", dir.display())])?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    paths.sort();
    let mut summaries = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        let doc = match read_json(&path) {
            Ok(doc) => doc,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if doc.get("sighash_cases").is_none() {
            summaries.push(format!("{}: skipped (no sighash_cases)", path.display()));
            continue;
        }
        let (counts, fails) = check_apo_value(&doc, &path.display().to_string());
        summaries.push(format!(
            "{}: {counts}, {} failed",
            path.display(),
            fails.len()
        ));
        failures.extend(fails);
    }
    if !summaries.iter().any(|s| !s.ends_with("(no sighash_cases)")) && failures.is_empty() {
        failures.push(format!(
            "{}: no *.json file with `sighash_cases` found",
            dir.display()
        ));
    }
    if failures.is_empty() {
        Ok(summaries)
    } else {
        failures.extend(summaries);
        Err(failures)
    }
}

fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what}: {} failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn bip118_apo_sighash() {
    let (counts, failures) = check_apo_file(&vectors_dir().join("bip118/apo_sighash.json"));
    assert_no_failures("bip118", &failures);
    println!("bip118: {counts}, all ok");
    // The bundled file's declared size; guards against silently empty sections.
    assert_eq!(
        (counts.digests, counts.invalid, counts.signatures),
        (42, 9, 9)
    );
}

#[test]
fn bip118_extra_vectors_from_env() {
    let Some(dir) = std::env::var_os("ASYNCPAY_EXTRA_VECTORS") else {
        println!("bip118 extra vectors: skipped (ASYNCPAY_EXTRA_VECTORS not set)");
        return;
    };
    match check_apo_dir(Path::new(&dir)) {
        Ok(summaries) => {
            for s in summaries {
                println!("bip118 extra: {s}");
            }
        }
        Err(failures) => {
            assert_no_failures("bip118 extra vectors (ASYNCPAY_EXTRA_VECTORS)", &failures)
        }
    }
}

/// The directory runner must fail, naming the case, when one digest is wrong, and must fail
/// on a directory without vector files.
#[test]
fn bip118_extra_vectors_runner_detects_mutation() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(check_apo_dir(dir.path()).is_err(), "empty dir must fail");

    let mut doc = read_json(&vectors_dir().join("bip118/apo_sighash.json")).expect("read");
    let case = &mut doc["sighash_cases"][7];
    let id = case["id"].as_str().expect("id").to_string();
    let mut digest = case["sighash_hex"].as_str().expect("sighash").to_string();
    let flipped = if digest.starts_with('0') { "1" } else { "0" };
    digest.replace_range(0..1, flipped);
    case["sighash_hex"] = Value::String(digest);
    std::fs::write(
        dir.path().join("mutated.json"),
        serde_json::to_string_pretty(&doc).expect("json"),
    )
    .expect("write");
    std::fs::write(dir.path().join("other.json"), "{\"unrelated\": 1}").expect("write");

    let failures = check_apo_dir(dir.path()).expect_err("mutated digest must fail");
    let named: Vec<&String> = failures.iter().filter(|f| f.contains(&id)).collect();
    assert_eq!(
        named.len(),
        1,
        "exactly the mutated case fails: {failures:#?}"
    );
    assert!(named[0].contains("sighash"), "{}", named[0]);
}
