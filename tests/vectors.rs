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
        let (counts, mut fails) = check_apo_value(&doc, &path.display().to_string());
        if counts.digests + counts.invalid + counts.signatures + fails.len() == 0 {
            fails.push(format!("{}: holds no cases", path.display()));
        }
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

// ---------------------------------------------------------------------------------------------
// BIP340

/// `(index, secret key, public key, aux_rand, message, signature, result, comment)`.
fn check_bip340_row(cols: &[&str]) -> Result<(), String> {
    let [_, sk, pk, aux, msg, sig, result, _comment] = cols else {
        return Err(format!("{} columns, expected 8", cols.len()));
    };
    let pk = <[u8; 32]>::try_from(unhex(pk)?.as_slice())
        .map_err(|_| "public key is not 32 bytes".to_string())?;
    let msg = unhex(msg)?;
    let sig = unhex(sig)?;
    let expected = match *result {
        "TRUE" => true,
        "FALSE" => false,
        other => return Err(format!("verification result {other:?}")),
    };
    if !sk.is_empty() {
        let seckey = Scalar::from_slice(&unhex(sk)?).map_err(|_| "bad secret key".to_string())?;
        if seckey.base_point_mul().serialize_xonly() != pk {
            return Err("secret key does not match public key".into());
        }
        let aux = <[u8; 32]>::try_from(unhex(aux)?.as_slice())
            .map_err(|_| "aux_rand is not 32 bytes".to_string())?;
        let ours = sign_bip340(seckey, &msg, aux);
        if ours.as_slice() != sig.as_slice() {
            return Err(format!(
                "signature {} != expected {}",
                hex(&ours),
                hex(&sig)
            ));
        }
    }
    let got = verify_bip340(pk, &sig, &msg);
    if got != expected {
        return Err(format!(
            "musig2::verify_single gives {got}, expected {expected}"
        ));
    }
    // Cross-check libsecp256k1 (bitcoin's secp256k1 0.29), which takes 32-byte messages only.
    if let Ok(digest) = <[u8; 32]>::try_from(msg.as_slice()) {
        use bitcoin::secp256k1::{schnorr, Message, Secp256k1, XOnlyPublicKey};
        let secp = Secp256k1::verification_only();
        let lib = match (
            XOnlyPublicKey::from_slice(&pk),
            schnorr::Signature::from_slice(&sig),
        ) {
            (Ok(pk), Ok(sig)) => secp
                .verify_schnorr(&sig, &Message::from_digest(digest), &pk)
                .is_ok(),
            _ => false,
        };
        if lib != expected {
            return Err(format!("libsecp256k1 gives {lib}, expected {expected}"));
        }
        // asyncpay's own check of aggregate signatures, for keys that are points.
        if let (Ok(point), Ok(sig)) = (Point::lift_x(pk), <[u8; 64]>::try_from(sig.as_slice())) {
            let ours = asyncpay::crypto::verify_bip340(point, &sig, digest);
            if ours != expected {
                return Err(format!(
                    "crypto::verify_bip340 gives {ours}, expected {expected}"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn bip340_signatures() {
    let path = vectors_dir().join("bip340/test-vectors.csv");
    let text = std::fs::read_to_string(&path).expect("read bip340 csv");
    let mut failures = Vec::new();
    let (mut rows, mut signed, mut valid, mut invalid) = (0, 0, 0, 0);
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').collect();
        rows += 1;
        match check_bip340_row(&cols) {
            Ok(()) => {
                signed += usize::from(!cols[1].is_empty());
                if cols[6] == "TRUE" {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
            Err(e) => failures.push(format!("row {} (index {}): {e}", n, cols[0])),
        }
    }
    assert_no_failures("bip340", &failures);
    assert_eq!(rows, 19, "bip340 row count");
    println!(
        "bip340: {rows} rows ok ({signed} signed and compared, {valid} verify TRUE, {invalid} FALSE)"
    );
}

// ---------------------------------------------------------------------------------------------
// BIP341

/// Adds the leaves of a `scriptTree` (leaf object or 2-element array) depth first.
fn add_tree(
    builder: bitcoin::taproot::TaprootBuilder,
    node: &Value,
    depth: u8,
    leaves: &mut Vec<(u64, ScriptBuf, LeafVersion)>,
) -> Result<bitcoin::taproot::TaprootBuilder, String> {
    match node {
        Value::Array(children) => children
            .iter()
            .try_fold(builder, |b, child| add_tree(b, child, depth + 1, leaves)),
        Value::Object(_) => {
            let script = ScriptBuf::from_bytes(hex_field(node, "script")?);
            let version = u64_field(node, "leafVersion")?;
            let version = u8::try_from(version)
                .ok()
                .and_then(|v| LeafVersion::from_consensus(v).ok())
                .ok_or_else(|| format!("bad leafVersion {version}"))?;
            leaves.push((u64_field(node, "id")?, script.clone(), version));
            builder
                .add_leaf_with_ver(depth, script, version)
                .map_err(|e| format!("add leaf: {e}"))
        }
        _ => Err("scriptTree node is neither array nor object".into()),
    }
}

fn check_bip341_script_pubkey(case: &Value) -> Result<(), String> {
    use bitcoin::taproot::{TaprootBuilder, TaprootSpendInfo};
    let secp = bitcoin::secp256k1::Secp256k1::verification_only();
    let given = field(case, "given")?;
    let inter = field(case, "intermediary")?;
    let expected = field(case, "expected")?;
    let internal = bitcoin::XOnlyPublicKey::from_slice(&hex_field(given, "internalPubkey")?)
        .map_err(|e| format!("internalPubkey: {e}"))?;
    let mut leaves = Vec::new();
    let info = match field(given, "scriptTree")? {
        Value::Null => TaprootSpendInfo::new_key_spend(&secp, internal, None),
        tree => add_tree(TaprootBuilder::new(), tree, 0, &mut leaves)?
            .finalize(&secp, internal)
            .map_err(|_| "script tree is incomplete".to_string())?,
    };
    let eq = |what: &str, got: &[u8], want: Option<Vec<u8>>| match want {
        Some(w) if w == got => Ok(()),
        w => Err(format!(
            "{what}: {} != expected {}",
            hex(got),
            w.map_or("null".into(), |w| hex(&w))
        )),
    };
    eq(
        "tweak",
        info.tap_tweak().as_byte_array(),
        opt_hex(inter, "tweak")?,
    )?;
    match (info.merkle_root(), opt_hex(inter, "merkleRoot")?) {
        (None, None) => {}
        (got, want) => eq(
            "merkleRoot",
            got.as_ref().map_or(&[][..], |r| r.as_byte_array()),
            want,
        )?,
    }
    let output_key = info.output_key();
    eq(
        "tweakedPubkey",
        &output_key.serialize(),
        opt_hex(inter, "tweakedPubkey")?,
    )?;
    eq(
        "scriptPubKey",
        ScriptBuf::new_p2tr_tweaked(output_key).as_bytes(),
        opt_hex(expected, "scriptPubKey")?,
    )?;
    let address = bitcoin::Address::p2tr_tweaked(output_key, bitcoin::KnownHrp::Mainnet);
    if address.to_string() != str_field(expected, "bip350Address")? {
        return Err(format!("address {address} != expected"));
    }
    leaves.sort_by_key(|(id, _, _)| *id);
    let leaf_hashes = inter.get("leafHashes").and_then(Value::as_array);
    let control_blocks = expected
        .get("scriptPathControlBlocks")
        .and_then(Value::as_array);
    for (n, (id, script, version)) in leaves.iter().enumerate() {
        let want_hash = leaf_hashes
            .and_then(|h| h.get(n))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no leafHashes entry for leaf {id}"))?;
        eq(
            &format!("leaf {id} hash"),
            TapLeafHash::from_script(script, *version).as_byte_array(),
            Some(unhex(want_hash)?),
        )?;
        let want_cb = control_blocks
            .and_then(|c| c.get(n))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no control block for leaf {id}"))?;
        let cb = info
            .control_block(&(script.clone(), *version))
            .ok_or_else(|| format!("no control block computed for leaf {id}"))?;
        eq(
            &format!("leaf {id} control block"),
            &cb.serialize(),
            Some(unhex(want_cb)?),
        )?;
        if !cb.verify_taproot_commitment(&secp, output_key.to_x_only_public_key(), script) {
            return Err(format!("leaf {id}: control block does not verify"));
        }
    }
    Ok(())
}

fn check_bip341_key_path_input(
    tx: &Transaction,
    spent: &[TxOut],
    input: &Value,
) -> Result<(), String> {
    use bitcoin::key::{Keypair, TapTweak};
    use bitcoin::TapNodeHash;
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let given = field(input, "given")?;
    let inter = field(input, "intermediary")?;
    let index = u64_field(given, "txinIndex")? as usize;
    let hash_type = u8::try_from(u64_field(given, "hashType")?).map_err(|e| e.to_string())?;
    let merkle_root = opt_hex(given, "merkleRoot")?
        .map(|r| {
            <[u8; 32]>::try_from(r.as_slice())
                .map(TapNodeHash::from_byte_array)
                .map_err(|_| "merkleRoot is not 32 bytes".to_string())
        })
        .transpose()?;
    let keypair = Keypair::from_seckey_slice(&secp, &hex_field(given, "internalPrivkey")?)
        .map_err(|e| format!("internalPrivkey: {e}"))?;
    if keypair.x_only_public_key().0.serialize() != hex32_field(inter, "internalPubkey")? {
        return Err("internalPubkey mismatch".into());
    }
    let tweak =
        bitcoin::TapTweakHash::from_key_and_tweak(keypair.x_only_public_key().0, merkle_root);
    if tweak.to_byte_array() != hex32_field(inter, "tweak")? {
        return Err("tweak mismatch".into());
    }
    let tweaked = keypair.tap_tweak(&secp, merkle_root).to_keypair();
    if tweaked.secret_bytes() != hex32_field(inter, "tweakedPrivkey")? {
        return Err("tweakedPrivkey mismatch".into());
    }
    let msg = signature_message(tx, index, spent, hash_type, SpendPath::KeyPath, None)
        .map_err(|e| format!("unexpected error: {e}"))?;
    if msg != hex_field(inter, "sigMsg")? {
        return Err(format!("sigMsg {} != expected", hex(&msg)));
    }
    let digest = signature_hash(tx, index, spent, hash_type, SpendPath::KeyPath, None)
        .map_err(|e| format!("unexpected error: {e}"))?;
    if digest != hex32_field(inter, "sigHash")? {
        return Err(format!("sigHash {} != expected", hex(&digest)));
    }
    let seckey = Scalar::from_slice(&tweaked.secret_bytes()).map_err(|_| "bad tweaked key")?;
    let mut witness_sig = sign_bip340(seckey, &digest, [0; 32]).to_vec();
    let output_key = tweaked.x_only_public_key().0.serialize();
    if !verify_bip340(output_key, &witness_sig, &digest) {
        return Err("our signature does not verify under the output key".into());
    }
    if spent[index].script_pubkey.as_bytes().get(2..) != Some(&output_key[..]) {
        return Err("spent scriptPubKey is not the tweaked key".into());
    }
    if hash_type != 0 {
        witness_sig.push(hash_type);
    }
    let witness = array_field(field(input, "expected")?, "witness")?;
    let want = unhex(
        witness
            .first()
            .and_then(Value::as_str)
            .ok_or("empty witness")?,
    )?;
    if witness.len() != 1 || want != witness_sig {
        return Err(format!(
            "witness signature {} != expected {}",
            hex(&witness_sig),
            hex(&want)
        ));
    }
    Ok(())
}

#[test]
fn bip341_wallet_vectors() {
    let doc = read_json(&vectors_dir().join("bip341/wallet-test-vectors.json")).expect("read");
    let mut failures = Vec::new();
    let spk_cases = doc["scriptPubKey"].as_array().expect("scriptPubKey array");
    let mut spk_ok = 0;
    for (i, case) in spk_cases.iter().enumerate() {
        match check_bip341_script_pubkey(case) {
            Ok(()) => spk_ok += 1,
            Err(e) => failures.push(format!("scriptPubKey[{i}]: {e}")),
        }
    }
    let mut inputs_ok = 0;
    for (k, group) in doc["keyPathSpending"]
        .as_array()
        .expect("keyPathSpending array")
        .iter()
        .enumerate()
    {
        let given = &group["given"];
        let tx = match str_field(given, "rawUnsignedTx").and_then(parse_tx) {
            Ok(tx) => tx,
            Err(e) => {
                failures.push(format!("keyPathSpending[{k}]: {e}"));
                continue;
            }
        };
        let spent: Vec<TxOut> = given["utxosSpent"]
            .as_array()
            .expect("utxosSpent")
            .iter()
            .map(|u| TxOut {
                value: Amount::from_sat(u["amountSats"].as_u64().expect("amountSats")),
                script_pubkey: ScriptBuf::from_bytes(
                    unhex(u["scriptPubKey"].as_str().expect("scriptPubKey")).expect("hex"),
                ),
            })
            .collect();
        for (j, input) in group["inputSpending"]
            .as_array()
            .expect("inputSpending")
            .iter()
            .enumerate()
        {
            match check_bip341_key_path_input(&tx, &spent, input) {
                Ok(()) => inputs_ok += 1,
                Err(e) => failures.push(format!("keyPathSpending[{k}].inputSpending[{j}]: {e}")),
            }
        }
    }
    assert_no_failures("bip341", &failures);
    assert_eq!((spk_ok, inputs_ok), (7, 7), "bip341 case counts");
    println!("bip341: {spk_ok} scriptPubKey cases, {inputs_ok} key-path inputs ok");
}

// ---------------------------------------------------------------------------------------------
// BIP327 (MuSig2) with the musig2 crate

use musig2::secp::MaybeScalar;
use musig2::{AggNonce, KeyAggContext, PartialSignature, PubNonce, SecNonce};

/// Outcome of a BIP327 algorithm that failed: the error kinds of the reference code, plus a
/// harness error for malformed vector data (which never matches an expected error).
#[derive(Debug, Clone, PartialEq)]
enum Bip327Error {
    /// `InvalidContributionError(signer, contrib)`.
    Contribution {
        signer: Option<usize>,
        contrib: String,
    },
    /// `ValueError(message)`.
    Value(String),
    /// The vector file itself could not be read as expected.
    Harness(String),
}

impl From<String> for Bip327Error {
    fn from(s: String) -> Self {
        Bip327Error::Harness(s)
    }
}

fn contribution(signer: Option<usize>, contrib: &str) -> Bip327Error {
    Bip327Error::Contribution {
        signer,
        contrib: contrib.to_string(),
    }
}

/// The `error` object of an error test case.
fn expected_bip327_error(case: &Value) -> Result<Bip327Error, String> {
    let e = field(case, "error")?;
    match str_field(e, "type")? {
        "invalid_contribution" => Ok(Bip327Error::Contribution {
            signer: opt_u64(e, "signer")?.map(|s| s as usize),
            contrib: str_field(e, "contrib")?.to_string(),
        }),
        "value" => Ok(Bip327Error::Value(str_field(e, "message")?.to_string())),
        other => Err(format!("unknown error type {other:?}")),
    }
}

/// An error case passes when the algorithm fails with the expected error: the same signer
/// and contribution for invalid contributions; for value errors the same message as the
/// reference code (compared case-insensitively, without a trailing full stop).
fn check_expected_error<T>(case: &Value, result: Result<T, Bip327Error>) -> Result<(), String> {
    let want = expected_bip327_error(case)?;
    match result {
        Ok(_) => Err(format!("expected {want:?}, but the operation succeeded")),
        Err(Bip327Error::Harness(e)) => Err(e),
        Err(got) => match (&got, &want) {
            (Bip327Error::Value(a), Bip327Error::Value(b)) if normalize(a) == normalize(b) => {
                Ok(())
            }
            _ if got == want => Ok(()),
            _ => Err(format!("got {got:?}, expected {want:?}")),
        },
    }
}

fn normalize(message: &str) -> String {
    message.trim().trim_end_matches('.').to_lowercase()
}

fn indices(v: &Value, key: &str) -> Result<Vec<usize>, String> {
    array_field(v, key)?
        .iter()
        .map(|i| {
            i.as_u64()
                .map(|i| i as usize)
                .ok_or_else(|| format!("`{key}` holds a non-index"))
        })
        .collect()
}

fn hex_at(list: &Value, i: usize) -> Result<Vec<u8>, String> {
    unhex(
        list.get(i)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no hex string at index {i}"))?,
    )
}

/// Picks `idx` from the hex list `doc[key]` and parses each as a point (pubkey or pubnonce
/// half); the first that fails is reported as that signer's invalid contribution.
fn pick_points(doc: &Value, key: &str, idx: &[usize]) -> Result<Vec<Point>, Bip327Error> {
    let list = field(doc, key)?;
    idx.iter()
        .enumerate()
        .map(|(signer, &i)| {
            Point::from_slice(&hex_at(list, i)?).map_err(|_| contribution(Some(signer), "pubkey"))
        })
        .collect()
}

fn pick_pubnonces(doc: &Value, key: &str, idx: &[usize]) -> Result<Vec<PubNonce>, Bip327Error> {
    let list = field(doc, key)?;
    idx.iter()
        .enumerate()
        .map(|(signer, &i)| {
            PubNonce::from_bytes(&hex_at(list, i)?)
                .map_err(|_| contribution(Some(signer), "pubnonce"))
        })
        .collect()
}

/// Parses a tweak list and applies it (BIP327 `ApplyTweak`).
fn apply_tweaks(
    mut ctx: KeyAggContext,
    tweaks: &[Vec<u8>],
    is_xonly: &[bool],
) -> Result<KeyAggContext, Bip327Error> {
    if tweaks.len() != is_xonly.len() {
        return Err(Bip327Error::Harness(
            "tweaks and is_xonly differ in length".into(),
        ));
    }
    for (tweak, &xonly) in tweaks.iter().zip(is_xonly) {
        let tweak = MaybeScalar::from_slice(tweak)
            .map_err(|_| Bip327Error::Value("the tweak must be less than n".into()))?;
        ctx = ctx
            .with_tweak(tweak, xonly)
            .map_err(|_| Bip327Error::Value("the result of tweaking cannot be infinity".into()))?;
    }
    Ok(ctx)
}

fn key_agg(pubkeys: Vec<Point>) -> Result<KeyAggContext, Bip327Error> {
    KeyAggContext::new(pubkeys).map_err(|e| Bip327Error::Value(format!("key aggregation: {e}")))
}

fn bool_list(v: &Value, key: &str) -> Result<Vec<bool>, String> {
    array_field(v, key)?
        .iter()
        .map(|b| {
            b.as_bool()
                .ok_or_else(|| format!("`{key}` holds a non-boolean"))
        })
        .collect()
}

fn tweak_list(doc: &Value, case: &Value) -> Result<Vec<Vec<u8>>, String> {
    let list = field(doc, "tweaks")?;
    indices(case, "tweak_indices")?
        .into_iter()
        .map(|i| hex_at(list, i))
        .collect()
}

fn partial_sign(
    ctx: &KeyAggContext,
    seckey: Scalar,
    secnonce: SecNonce,
    aggnonce: &AggNonce,
    msg: &[u8],
) -> Result<PartialSignature, Bip327Error> {
    musig2::sign_partial(ctx, seckey, secnonce, aggnonce, msg).map_err(|e| match e {
        musig2::errors::SigningError::UnknownKey => {
            Bip327Error::Value("the signer's pubkey must be included in the list of pubkeys".into())
        }
        other => Bip327Error::Value(other.to_string()),
    })
}

/// Counts per BIP327 file: (valid cases, error cases).
type Counts = (usize, usize);

/// Runs `check` on every element of `doc[section]`, recording failures; returns the number
/// of cases that passed.
fn run_cases(
    doc: &Value,
    section: &str,
    label: &str,
    failures: &mut Vec<String>,
    mut check: impl FnMut(&Value) -> Result<(), String>,
) -> usize {
    let Some(cases) = doc.get(section).and_then(Value::as_array) else {
        failures.push(format!("{label}: `{section}` missing"));
        return 0;
    };
    let mut ok = 0;
    for (i, case) in cases.iter().enumerate() {
        match check(case) {
            Ok(()) => ok += 1,
            Err(e) => {
                let comment = case.get("comment").and_then(Value::as_str).unwrap_or("");
                failures.push(format!("{label} {section}[{i}] ({comment}): {e}"));
            }
        }
    }
    ok
}

fn bip327_key_sort(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let parse = |key: &str| -> Result<Vec<Point>, String> {
        array_field(doc, key)?
            .iter()
            .map(|p| {
                Point::from_slice(&unhex(p.as_str().ok_or("not a string")?)?)
                    .map_err(|_| format!("`{key}`: invalid point"))
            })
            .collect()
    };
    let check = || -> Result<(), String> {
        let mut keys = parse("pubkeys")?;
        let sorted = parse("sorted_pubkeys")?;
        // BIP327 KeySort: lexicographic order of the 33-byte encodings.
        let mut by_bytes = keys.clone();
        by_bytes.sort_by_key(|p| p.serialize());
        keys.sort();
        if keys != sorted || by_bytes != sorted {
            return Err("sorted keys differ from sorted_pubkeys".into());
        }
        Ok(())
    };
    match check() {
        Ok(()) => (1, 0),
        Err(e) => {
            failures.push(format!("key_sort: {e}"));
            (0, 0)
        }
    }
}

fn bip327_key_agg(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let valid = run_cases(doc, "valid_test_cases", "key_agg", failures, |case| {
        let keys = pick_points(doc, "pubkeys", &indices(case, "key_indices")?)
            .map_err(|e| format!("{e:?}"))?;
        let agg: Point = key_agg(keys)
            .map_err(|e| format!("{e:?}"))?
            .aggregated_pubkey();
        let want = hex_field(case, "expected")?;
        if agg.serialize_xonly().as_slice() != want.as_slice() {
            return Err(format!("aggregate key {}", hex(&agg.serialize_xonly())));
        }
        Ok(())
    });
    let errors = run_cases(doc, "error_test_cases", "key_agg", failures, |case| {
        let result = (|| {
            let keys = pick_points(doc, "pubkeys", &indices(case, "key_indices")?)?;
            let ctx = key_agg(keys)?;
            apply_tweaks(ctx, &tweak_list(doc, case)?, &bool_list(case, "is_xonly")?)
        })();
        check_expected_error(case, result)
    });
    (valid, errors)
}

fn bip327_nonce_gen(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let valid = run_cases(doc, "test_cases", "nonce_gen", failures, |case| {
        let rand = hex32_field(case, "rand_")?;
        let pk = Point::from_slice(&hex_field(case, "pk")?).map_err(|_| "bad pk")?;
        let mut builder = match opt_hex(case, "sk")? {
            Some(sk) => {
                let sk = Scalar::from_slice(&sk).map_err(|_| "bad sk")?;
                if sk.base_point_mul() != pk {
                    return Err("sk does not match pk".into());
                }
                SecNonce::build_with_seckey(rand, sk)
            }
            None => SecNonce::build_with_pubkey(rand, pk),
        };
        if let Some(aggpk) = opt_hex(case, "aggpk")? {
            let aggpk = <[u8; 32]>::try_from(aggpk.as_slice()).map_err(|_| "aggpk length")?;
            builder = builder
                .with_aggregated_pubkey(Point::lift_x(aggpk).map_err(|_| "aggpk not on curve")?);
        }
        let msg = opt_hex(case, "msg")?;
        if let Some(msg) = &msg {
            builder = builder.with_message(msg);
        }
        let extra = opt_hex(case, "extra_in")?;
        if let Some(extra) = &extra {
            builder = builder.with_extra_input(extra);
        }
        let secnonce = builder.build();
        let want_sec = hex_field(case, "expected_secnonce")?;
        if secnonce.to_bytes().as_slice() != want_sec.as_slice() {
            return Err(format!("secnonce {}", hex(&secnonce.to_bytes())));
        }
        let want_pub = hex_field(case, "expected_pubnonce")?;
        let pubnonce = secnonce.public_nonce().to_bytes();
        if pubnonce.as_slice() != want_pub.as_slice() {
            return Err(format!("pubnonce {}", hex(&pubnonce)));
        }
        Ok(())
    });
    (valid, 0)
}

fn bip327_nonce_agg(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let valid = run_cases(doc, "valid_test_cases", "nonce_agg", failures, |case| {
        let nonces = pick_pubnonces(doc, "pnonces", &indices(case, "pnonce_indices")?)
            .map_err(|e| format!("{e:?}"))?;
        let agg = AggNonce::sum(&nonces).to_bytes();
        if agg.as_slice() != hex_field(case, "expected")?.as_slice() {
            return Err(format!("aggnonce {}", hex(&agg)));
        }
        Ok(())
    });
    let errors = run_cases(doc, "error_test_cases", "nonce_agg", failures, |case| {
        let result = pick_pubnonces(doc, "pnonces", &indices(case, "pnonce_indices")?)
            .map(|n| AggNonce::sum(&n));
        check_expected_error(case, result)
    });
    (valid, errors)
}

fn bip327_sign_verify(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let label = "sign_verify";
    let seckey = match hex_field(doc, "sk").map(|b| Scalar::from_slice(&b)) {
        Ok(Ok(sk)) => sk,
        _ => {
            failures.push(format!("{label}: bad sk"));
            return (0, 0);
        }
    };
    let msg_of = |case: &Value| -> Result<Vec<u8>, String> {
        hex_at(field(doc, "msgs")?, u64_field(case, "msg_index")? as usize)
    };
    // Sign: KeyAgg, parse aggnonce and secnonce, Sign.
    let sign = |case: &Value| -> Result<(KeyAggContext, AggNonce, PartialSignature), Bip327Error> {
        let keys = pick_points(doc, "pubkeys", &indices(case, "key_indices")?)?;
        let ctx = key_agg(keys)?;
        let aggnonce = AggNonce::from_bytes(&hex_at(
            field(doc, "aggnonces")?,
            u64_field(case, "aggnonce_index")? as usize,
        )?)
        .map_err(|_| contribution(None, "aggnonce"))?;
        let secnonce_index = opt_u64(case, "secnonce_index")?.unwrap_or(0) as usize;
        let secnonce_bytes = hex_at(field(doc, "secnonces")?, secnonce_index)?;
        let secnonce = SecNonce::from_bytes(&secnonce_bytes).map_err(|_| {
            // The reference code names the first of k1, k2 that is 0 or >= n.
            let which = if secnonce_bytes
                .get(..32)
                .is_none_or(|k1| Scalar::from_slice(k1).is_err())
            {
                "first"
            } else {
                "second"
            };
            Bip327Error::Value(format!("{which} secnonce value is out of range."))
        })?;
        let psig = partial_sign(&ctx, seckey, secnonce, &aggnonce, &msg_of(case)?)?;
        Ok((ctx, aggnonce, psig))
    };
    let valid = run_cases(doc, "valid_test_cases", label, failures, |case| {
        let (ctx, aggnonce, psig) = sign(case).map_err(|e| format!("{e:?}"))?;
        let want = hex_field(case, "expected")?;
        if psig.serialize().as_slice() != want.as_slice() {
            return Err(format!("partial signature {}", hex(&psig.serialize())));
        }
        let nonces = pick_pubnonces(doc, "pnonces", &indices(case, "nonce_indices")?)
            .map_err(|e| format!("{e:?}"))?;
        if AggNonce::sum(&nonces) != aggnonce {
            return Err("aggnonce is not the sum of the case's pnonces".into());
        }
        let signer = u64_field(case, "signer_index")? as usize;
        let pk = ctx.pubkeys()[signer];
        if pk != seckey.base_point_mul() {
            return Err("signer_index is not the key of sk".into());
        }
        musig2::verify_partial(&ctx, psig, &aggnonce, pk, &nonces[signer], msg_of(case)?)
            .map_err(|e| format!("own partial signature does not verify: {e}"))
    });
    let sign_errors = run_cases(doc, "sign_error_test_cases", label, failures, |case| {
        check_expected_error(case, sign(case))
    });
    // PartialSigVerify: parse psig, pubnonces, pubkeys; verify.
    let verify = |case: &Value| -> Result<bool, Bip327Error> {
        let Ok(psig) = MaybeScalar::from_slice(&hex_field(case, "sig")?) else {
            return Ok(false); // s >= n: the signature is invalid
        };
        let nonces = pick_pubnonces(doc, "pnonces", &indices(case, "nonce_indices")?)?;
        let keys = pick_points(doc, "pubkeys", &indices(case, "key_indices")?)?;
        let signer = u64_field(case, "signer_index")? as usize;
        let ctx = key_agg(keys.clone())?;
        let aggnonce = AggNonce::sum(&nonces);
        Ok(musig2::verify_partial(
            &ctx,
            psig,
            &aggnonce,
            keys[signer],
            &nonces[signer],
            msg_of(case)?,
        )
        .is_ok())
    };
    let verify_fails = run_cases(
        doc,
        "verify_fail_test_cases",
        label,
        failures,
        |case| match verify(case) {
            Ok(false) => Ok(()),
            Ok(true) => Err("invalid partial signature verifies".into()),
            Err(e) => Err(format!("{e:?}")),
        },
    );
    let verify_errors = run_cases(doc, "verify_error_test_cases", label, failures, |case| {
        check_expected_error(case, verify(case))
    });
    (valid, sign_errors + verify_fails + verify_errors)
}

fn bip327_tweak(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let label = "tweak";
    let setup = || -> Result<(Scalar, SecNonce, AggNonce, Vec<u8>), String> {
        let sk = Scalar::from_slice(&hex_field(doc, "sk")?).map_err(|_| "bad sk")?;
        let secnonce =
            SecNonce::from_bytes(&hex_field(doc, "secnonce")?).map_err(|_| "secnonce")?;
        let aggnonce =
            AggNonce::from_bytes(&hex_field(doc, "aggnonce")?).map_err(|_| "aggnonce")?;
        Ok((sk, secnonce, aggnonce, hex_field(doc, "msg")?))
    };
    let (sk, secnonce, aggnonce, msg) = match setup() {
        Ok(s) => s,
        Err(e) => {
            failures.push(format!("{label}: {e}"));
            return (0, 0);
        }
    };
    let sign = |case: &Value| -> Result<(KeyAggContext, PartialSignature), Bip327Error> {
        let keys = pick_points(doc, "pubkeys", &indices(case, "key_indices")?)?;
        let ctx = apply_tweaks(
            key_agg(keys)?,
            &tweak_list(doc, case)?,
            &bool_list(case, "is_xonly")?,
        )?;
        let psig = partial_sign(&ctx, sk, secnonce.clone(), &aggnonce, &msg)?;
        Ok((ctx, psig))
    };
    let valid = run_cases(doc, "valid_test_cases", label, failures, |case| {
        let (ctx, psig) = sign(case).map_err(|e| format!("{e:?}"))?;
        if psig.serialize().as_slice() != hex_field(case, "expected")?.as_slice() {
            return Err(format!("partial signature {}", hex(&psig.serialize())));
        }
        let nonces = pick_pubnonces(doc, "pnonces", &indices(case, "nonce_indices")?)
            .map_err(|e| format!("{e:?}"))?;
        if AggNonce::sum(&nonces) != aggnonce {
            return Err("aggnonce is not the sum of the case's pnonces".into());
        }
        let signer = u64_field(case, "signer_index")? as usize;
        let pk = ctx.pubkeys()[signer];
        musig2::verify_partial(&ctx, psig, &aggnonce, pk, &nonces[signer], &msg)
            .map_err(|e| format!("partial signature does not verify: {e}"))
    });
    let errors = run_cases(doc, "error_test_cases", label, failures, |case| {
        check_expected_error(case, sign(case))
    });
    (valid, errors)
}

fn bip327_sig_agg(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let label = "sig_agg";
    let aggregate = |case: &Value| -> Result<(KeyAggContext, [u8; 64]), Bip327Error> {
        let msg = hex_field(doc, "msg")?;
        let aggnonce = AggNonce::from_bytes(&hex_field(case, "aggnonce")?)
            .map_err(|_| contribution(None, "aggnonce"))?;
        let keys = pick_points(doc, "pubkeys", &indices(case, "key_indices")?)?;
        let ctx = apply_tweaks(
            key_agg(keys)?,
            &tweak_list(doc, case)?,
            &bool_list(case, "is_xonly")?,
        )?;
        let psig_list = field(doc, "psigs")?;
        let psigs = indices(case, "psig_indices")?
            .iter()
            .enumerate()
            .map(|(signer, &i)| {
                MaybeScalar::from_slice(&hex_at(psig_list, i)?)
                    .map_err(|_| contribution(Some(signer), "psig"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sig: CompactSignature =
            musig2::aggregate_partial_signatures(&ctx, &aggnonce, psigs, &msg)
                .map_err(|e| Bip327Error::Value(format!("aggregation: {e}")))?;
        Ok((ctx, sig.to_bytes()))
    };
    let valid = run_cases(doc, "valid_test_cases", label, failures, |case| {
        let (ctx, sig) = aggregate(case).map_err(|e| format!("{e:?}"))?;
        if sig.as_slice() != hex_field(case, "expected")?.as_slice() {
            return Err(format!("signature {}", hex(&sig)));
        }
        let nonces = pick_pubnonces(doc, "pnonces", &indices(case, "nonce_indices")?)
            .map_err(|e| format!("{e:?}"))?;
        if AggNonce::sum(&nonces).to_bytes().as_slice() != hex_field(case, "aggnonce")? {
            return Err("aggnonce is not the sum of the case's pnonces".into());
        }
        let aggpk: Point = ctx.aggregated_pubkey();
        if !verify_bip340(aggpk.serialize_xonly(), &sig, &hex_field(doc, "msg")?) {
            return Err("aggregate signature does not verify under the aggregate key".into());
        }
        Ok(())
    });
    let errors = run_cases(doc, "error_test_cases", label, failures, |case| {
        check_expected_error(case, aggregate(case))
    });
    (valid, errors)
}

/// BIP327 `DeterministicSign`, built from the crate's `SecNonce::new` and `sign_partial`:
/// returns `(pubnonce, psig)` and the context to verify with.
fn deterministic_sign(
    doc: &Value,
    case: &Value,
    sk: Scalar,
) -> Result<(PubNonce, PartialSignature, KeyAggContext, AggNonce), Bip327Error> {
    let keys = pick_points(doc, "pubkeys", &indices(case, "key_indices")?)?;
    let tweaks: Vec<Vec<u8>> = array_field(case, "tweaks")?
        .iter()
        .map(|t| unhex(t.as_str().ok_or("tweak is not a string")?))
        .collect::<Result<_, _>>()?;
    let ctx = apply_tweaks(key_agg(keys)?, &tweaks, &bool_list(case, "is_xonly")?)?;
    let aggothernonce = hex_field(case, "aggothernonce")?;
    let msg = hex_at(field(doc, "msgs")?, u64_field(case, "msg_index")? as usize)?;
    // sk' = sk xor hash_MuSig/aux(rand) if rand is given, else sk.
    let sk_prime = match opt_hex(case, "rand")? {
        Some(rand) => {
            let aux = tagged_hash("MuSig/aux", &rand);
            let mut x = sk.serialize();
            x.iter_mut().zip(aux).for_each(|(a, b)| *a ^= b);
            x
        }
        None => sk.serialize(),
    };
    let aggpk: Point = ctx.aggregated_pubkey();
    let k = |i: u8| -> Result<Scalar, Bip327Error> {
        let mut data = sk_prime.to_vec();
        data.extend_from_slice(&aggothernonce);
        data.extend_from_slice(&aggpk.serialize_xonly());
        data.extend_from_slice(&(msg.len() as u64).to_be_bytes());
        data.extend_from_slice(&msg);
        data.push(i);
        MaybeScalar::reduce_from(&tagged_hash("MuSig/deterministic/nonce", &data))
            .into_option()
            .ok_or_else(|| Bip327Error::Value("derived nonce is zero".into()))
    };
    let secnonce = SecNonce::new(k(0)?, k(1)?, sk.base_point_mul());
    let pubnonce = secnonce.public_nonce();
    let other =
        PubNonce::from_bytes(&aggothernonce).map_err(|_| contribution(None, "aggothernonce"))?;
    let aggnonce = AggNonce::sum([&pubnonce, &other]);
    let psig = partial_sign(&ctx, sk, secnonce, &aggnonce, &msg)?;
    Ok((pubnonce, psig, ctx, aggnonce))
}

fn tagged_hash(tag: &str, data: &[u8]) -> [u8; 32] {
    use bitcoin::hashes::{sha256, HashEngine};
    let tag = sha256::Hash::hash(tag.as_bytes());
    let mut engine = sha256::Hash::engine();
    engine.input(tag.as_byte_array());
    engine.input(tag.as_byte_array());
    engine.input(data);
    sha256::Hash::from_engine(engine).to_byte_array()
}

fn bip327_det_sign(doc: &Value, failures: &mut Vec<String>) -> Counts {
    let label = "det_sign";
    let Ok(Ok(sk)) = hex_field(doc, "sk").map(|b| Scalar::from_slice(&b)) else {
        failures.push(format!("{label}: bad sk"));
        return (0, 0);
    };
    let valid = run_cases(doc, "valid_test_cases", label, failures, |case| {
        let (pubnonce, psig, ctx, aggnonce) =
            deterministic_sign(doc, case, sk).map_err(|e| format!("{e:?}"))?;
        let expected = array_field(case, "expected")?;
        let want_nonce = hex_at(&Value::Array(expected.clone()), 0)?;
        let want_psig = hex_at(&Value::Array(expected.clone()), 1)?;
        if pubnonce.to_bytes().as_slice() != want_nonce.as_slice() {
            return Err(format!("pubnonce {}", hex(&pubnonce.to_bytes())));
        }
        if psig.serialize().as_slice() != want_psig.as_slice() {
            return Err(format!("partial signature {}", hex(&psig.serialize())));
        }
        let signer = u64_field(case, "signer_index")? as usize;
        let pk = ctx.pubkeys()[signer];
        let msg = hex_at(field(doc, "msgs")?, u64_field(case, "msg_index")? as usize)?;
        musig2::verify_partial(&ctx, psig, &aggnonce, pk, &pubnonce, msg)
            .map_err(|e| format!("partial signature does not verify: {e}"))
    });
    let errors = run_cases(doc, "error_test_cases", label, failures, |case| {
        check_expected_error(case, deterministic_sign(doc, case, sk))
    });
    (valid, errors)
}

#[test]
fn bip327_musig2() {
    type Runner = fn(&Value, &mut Vec<String>) -> Counts;
    let files: [(&str, Runner); 8] = [
        ("key_sort", bip327_key_sort),
        ("key_agg", bip327_key_agg),
        ("nonce_gen", bip327_nonce_gen),
        ("nonce_agg", bip327_nonce_agg),
        ("sign_verify", bip327_sign_verify),
        ("tweak", bip327_tweak),
        ("sig_agg", bip327_sig_agg),
        ("det_sign", bip327_det_sign),
    ];
    let mut failures = Vec::new();
    let mut lines = Vec::new();
    for (name, run) in files {
        let path = vectors_dir().join(format!("bip327/{name}_vectors.json"));
        let doc = match read_json(&path) {
            Ok(doc) => doc,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let (valid, errors) = run(&doc, &mut failures);
        lines.push(format!(
            "bip327 {name}: {valid} valid, {errors} error cases ok"
        ));
    }
    for line in &lines {
        println!("{line}");
    }
    assert_no_failures("bip327", &failures);
    // Every case of every file must have been checked.
    let total_expected = std::fs::read_dir(vectors_dir().join("bip327"))
        .expect("bip327 dir")
        .count();
    assert_eq!(total_expected, files.len(), "a bip327 file is not covered");
}
