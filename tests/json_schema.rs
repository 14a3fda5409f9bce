//! Every command's `--json` document, checked against the documented schema
//! (`docs/json/schema.json`, described in `docs/json.md`), with the real binary on a real
//! network (S running on 127.0.0.1, A and B with channels): object roots, `*_sat` amounts,
//! machine statuses, errors with their hint in `hint`. Also: unique id prefixes where an id
//! is typed (an ambiguous one is refused with the candidates), the list filters, exit codes
//! of input errors, and colour only on a terminal without `NO_COLOR`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;

use common::procs::{command, free_port, Wallet};
use common::story::Story;

// ----- a small JSON Schema validator (the subset docs/json/schema.json uses) -----

struct Schema(Value);

impl Schema {
    fn load() -> Schema {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json/schema.json");
        Schema(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
    }

    fn def(&self, name: &str) -> &Value {
        let def = &self.0["$defs"][name];
        assert!(def.is_object(), "no $defs/{name} in docs/json/schema.json");
        def
    }

    /// Panics with every violation of `doc` against `$defs/name`.
    fn check(&self, name: &str, doc: &Value, what: &str) {
        let mut errors = Vec::new();
        self.validate(self.def(name), doc, "$", &mut errors);
        assert!(
            errors.is_empty(),
            "{what}: the document does not match $defs/{name}:\n  {}\n{doc:#}",
            errors.join("\n  ")
        );
    }

    fn validate(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/").expect("local $ref");
            return self.validate(self.def(name), v, at, errors);
        }
        if let Some(types) = schema.get("type") {
            let types: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => panic!("bad type in schema at {at}"),
            };
            let ok = types.iter().any(|t| match *t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                other => panic!("unknown type {other}"),
            });
            if !ok {
                errors.push(format!("{at}: {v} is not of type {types:?}"));
                return;
            }
        }
        if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
            if !choices.contains(v) {
                errors.push(format!("{at}: {v} is not one of {choices:?}"));
            }
        }
        if let Some(c) = schema.get("const") {
            if c != v {
                errors.push(format!("{at}: {v} is not {c}"));
            }
        }
        if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_i64), v.as_i64()) {
            if n < min {
                errors.push(format!("{at}: {n} < {min}"));
            }
        }
        if let (Some(p), Some(s)) = (schema.get("pattern").and_then(Value::as_str), v.as_str()) {
            if !matches_pattern(p, s) {
                errors.push(format!("{at}: {s:?} does not match {p}"));
            }
        }
        if let Some(obj) = v.as_object() {
            let props = schema.get("properties").and_then(Value::as_object);
            for req in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let req = req.as_str().unwrap();
                if !obj.contains_key(req) {
                    errors.push(format!("{at}: missing required field `{req}`"));
                }
            }
            for (k, child) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => self.validate(s, child, &format!("{at}.{k}"), errors),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        errors.push(format!("{at}: undocumented field `{k}`"))
                    }
                    None => {}
                }
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
            for (i, item) in arr.iter().enumerate() {
                self.validate(items, item, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

/// The patterns the schema uses: `^[0-9a-f]{64}$`, `^0[23][0-9a-f]{64}$` and
/// `^[0-9a-f]{64}:[0-9]+$`.
fn matches_pattern(p: &str, s: &str) -> bool {
    let hex = |t: &str, n: usize| {
        t.len() == n
            && t.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    };
    match p {
        "^[0-9a-f]{64}$" => hex(s, 64),
        "^0[23][0-9a-f]{64}$" => (s.starts_with("02") || s.starts_with("03")) && hex(&s[2..], 64),
        "^[0-9a-f]{64}:[0-9]+$" => s.split_once(':').is_some_and(|(t, n)| {
            hex(t, 64) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        }),
        other => panic!("pattern {other} is not known to this validator"),
    }
}

#[test]
fn the_validator_catches_what_the_schema_forbids() {
    let schema = Schema::load();
    let mut errors = Vec::new();
    let doc = serde_json::json!([{"channel_id": "x"}]);
    schema.validate(schema.def("channels"), &doc, "$", &mut errors);
    assert!(
        errors.iter().any(|e| e.contains("not of type")),
        "{errors:?}"
    );
    let mut errors = Vec::new();
    let doc = serde_json::json!({"error": {"code": 2, "kind": "usage", "message": "m", "hint": null, "extra": 1}});
    schema.validate(schema.def("error"), &doc, "$", &mut errors);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("undocumented field `extra`")),
        "{errors:?}"
    );
    let mut errors = Vec::new();
    let doc = serde_json::json!({"mnemonic": 5});
    schema.validate(schema.def("wallet_backup"), &doc, "$", &mut errors);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

// ----- running commands -----

/// Runs `w` with `--json` and `args`; the one document on stdout, checked against
/// `$defs/def` (and `$defs/error` when the exit code is not 0), and the exit code.
fn doc(schema: &Schema, w: &Wallet, args: &[&str], def: &str) -> (i32, Value) {
    let out = w.cmd(args).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "asyncpay {args:?} (exit {code}) did not print one JSON document ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        v.is_object(),
        "asyncpay {args:?}: the root is not an object: {v}"
    );
    let def = if code == 0 { def } else { "error" };
    schema.check(def, &v, &format!("asyncpay {}", args.join(" ")));
    (code, v)
}

/// [`doc`], expecting success.
fn ok(schema: &Schema, w: &Wallet, args: &[&str], def: &str) -> Value {
    let (code, v) = doc(schema, w, args, def);
    assert_eq!(code, 0, "asyncpay {args:?}: {v}");
    v
}

/// [`doc`], expecting the error document with exit code `code`.
fn err(schema: &Schema, w: &Wallet, args: &[&str], code: i32) -> Value {
    let (got, v) = doc(schema, w, args, "error");
    assert_eq!(got, code, "asyncpay {args:?}: {v}");
    v
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no {k} in {v}"))
        .to_owned()
}

#[test]
fn every_command_prints_a_documented_json_document() {
    let schema = Schema::load();
    let st = Story::with(Some(free_port()), &["--manual"], false);
    let (sw, a, b) = (&st.s, &st.a, &st.b);

    // The wallet.
    ok(&schema, a, &["wallet", "address"], "wallet_address");
    ok(&schema, a, &["wallet", "balance"], "wallet_balance");
    let txs = ok(
        &schema,
        a,
        &["wallet", "transactions"],
        "wallet_transactions",
    );
    assert!(!txs["transactions"].as_array().unwrap().is_empty(), "{txs}");
    let one = ok(
        &schema,
        a,
        &["wallet", "transactions", "--limit", "1"],
        "wallet_transactions",
    );
    assert_eq!(one["transactions"].as_array().unwrap().len(), 1, "{one}");
    assert_eq!(
        one["hidden"].as_u64().unwrap() + 1,
        txs["transactions"].as_array().unwrap().len() as u64
    );
    ok(&schema, a, &["wallet", "utxos"], "wallet_utxos");
    ok(&schema, a, &["wallet", "info"], "wallet_info");
    ok(
        &schema,
        a,
        &["wallet", "set-min-budget", "1"],
        "wallet_set_min_budget",
    );
    ok(
        &schema,
        a,
        &["wallet", "set-min-depth", "1"],
        "wallet_set_min_depth",
    );
    ok(
        &schema,
        a,
        &["wallet", "backup", "--force"],
        "wallet_backup",
    );
    ok(&schema, a, &["wallet", "upgrade"], "wallet_upgrade");
    let b_onchain = s(
        &ok(&schema, b, &["wallet", "address"], "wallet_address"),
        "address",
    );
    ok(
        &schema,
        a,
        &["wallet", "send", &b_onchain, "10000"],
        "wallet_send",
    );
    ok(&schema, a, &["regtest", "info"], "regtest");
    ok(&schema, a, &["regtest", "mine", "1"], "regtest");
    ok(&schema, a, &["regtest", "verify"], "regtest");
    ok(
        &schema,
        a,
        &["regtest", "fund", &b_onchain, "1000"],
        "regtest",
    );
    ok(&schema, a, &["status"], "status");

    // Addresses and decoding.
    let address = ok(&schema, b, &["address"], "address");
    for (string, kind) in [
        (s(&address, "address"), "payment_address"),
        (s(&address, "node_id"), "node_id"),
        (st.a_channel.clone(), "channel_id"),
    ] {
        let d = ok(&schema, a, &["decode", &string], "decode");
        assert_eq!(d["kind"], kind, "{d}");
    }
    // A bitcoin address and a raw transaction.
    let onchain = ok(&schema, a, &["wallet", "address"], "wallet_address");
    let d = ok(&schema, a, &["decode", &s(&onchain, "address")], "decode");
    assert_eq!(d["kind"], "bitcoin_address", "{d}");
    let tx = bitcoin::Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![bitcoin::TxIn::default()],
        output: vec![bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(1_000),
            script_pubkey: bitcoin::ScriptBuf::new_p2a(),
        }],
    };
    let hex = bitcoin::consensus::encode::serialize_hex(&tx);
    let d = ok(&schema, a, &["decode", &hex], "decode");
    assert_eq!(d["kind"], "raw_transaction", "{d}");

    // Channels, by a prefix of their id.
    let list = ok(&schema, a, &["channel", "list"], "channels");
    assert_eq!(list["channels"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["channels"][0]["status"], "open", "{list}");
    assert_eq!(list["channels"][0]["chain"]["status"], "open", "{list}");
    let shown = ok(
        &schema,
        a,
        &["channel", "show", &st.a_channel[..8]],
        "channel",
    );
    assert_eq!(shown["channel_id"], st.a_channel.as_str());

    // A pays B; B's sale waits for the operator, who approves it by a prefix.
    let paid = ok(&schema, a, &["pay", &st.address, "10000"], "payment");
    let pid = s(&paid, "payment_id");
    assert_eq!(paid["status"], "pending");
    assert!(paid.get("finished_at").is_none(), "{paid}");
    ok(&schema, a, &["payments", "show", &pid[..6]], "payment");
    let with_pending = ok(&schema, a, &["channel", "show", &st.a_channel], "channel");
    assert_eq!(with_pending["pending_payment"]["payment_id"], pid.as_str());
    let got = ok(&schema, b, &["receive"], "payments");
    assert_eq!(got["payments"][0]["status"], "queued", "{got}");
    let sales = ok(&schema, sw, &["server", "sales", "list"], "server_sales");
    let status = ok(&schema, sw, &["server", "status"], "server_status");
    assert_eq!(status["queued_sales"], 1, "{status}");
    assert_eq!(sales["sales"][0]["payment_id"], pid.as_str(), "{sales}");
    ok(
        &schema,
        sw,
        &["server", "sales", "approve", &pid[..8]],
        "sale",
    );
    let got = ok(&schema, b, &["receive", "--no-claim"], "payments");
    assert_eq!(got["payments"][0]["status"], "sold", "{got}");
    let claimed = ok(&schema, b, &["claim", &pid[..10]], "payments");
    assert_eq!(claimed["payments"][0]["status"], "paid", "{claimed}");
    assert!(claimed["payments"][0]["finished_at"].is_u64(), "{claimed}");
    ok(&schema, a, &["sync"], "payments");
    let waited = ok(&schema, a, &["payments", "wait", &pid[..5]], "payment");
    assert_eq!(waited["status"], "paid");
    let finished = waited["finished_at"].as_u64().unwrap();
    assert!(
        finished >= waited["created_at"].as_u64().unwrap(),
        "{waited}"
    );

    // The invoice A collected decodes.
    let invoice = ok(&schema, a, &["payments", "show", &pid], "payment")["invoice"].clone();
    let file = st.env.root.path().join("invoice.json");
    std::fs::write(&file, invoice.to_string()).unwrap();
    let d = ok(
        &schema,
        a,
        &["decode", &format!("@{}", file.display())],
        "decode",
    );
    assert_eq!(
        (d["kind"].as_str(), d["signature_valid"].as_bool()),
        (Some("invoice"), Some(true))
    );

    // A second payment, cancelled: hidden from the list unless --all or --status.
    let second = s(
        &ok(
            &schema,
            a,
            &["pay", &st.address, "5000", "--channel", &st.a_channel[..8]],
            "payment",
        ),
        "payment_id",
    );
    let (code, pending) = doc(
        &schema,
        a,
        &["payments", "wait", &second, "--timeout", "1s"],
        "payment",
    );
    assert_eq!(
        (code, pending["error"]["kind"].as_str()),
        (5, Some("pending")),
        "{pending}"
    );
    let cancelled = ok(
        &schema,
        a,
        &["payments", "cancel", &second[..12]],
        "payment",
    );
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["finished_at"].is_u64(), "{cancelled}");
    let listed = ok(&schema, a, &["payments", "list"], "payments");
    assert_eq!(listed["payments"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["hidden"], 1, "{listed}");
    let all = ok(&schema, a, &["payments", "list", "--all"], "payments");
    assert_eq!(all["payments"].as_array().unwrap().len(), 2, "{all}");
    let only = ok(
        &schema,
        a,
        &["payments", "list", "--status", "cancelled"],
        "payments",
    );
    assert_eq!(only["payments"][0]["payment_id"], second.as_str(), "{only}");
    let newest = ok(
        &schema,
        a,
        &["payments", "list", "--all", "--limit", "1"],
        "payments",
    );
    // (Both were made in the same second: which is the newer one is not asserted.)
    assert_eq!(newest["payments"].as_array().unwrap().len(), 1, "{newest}");
    assert_eq!(newest["hidden"], 1, "{newest}");
    let bad = err(&schema, a, &["payments", "list", "--status", "bogus"], 2);
    assert!(
        bad["error"]["hint"].as_str().unwrap().contains("cancelled"),
        "{bad}"
    );

    // Inside the channel, then closed: a closed channel is hidden unless --all.
    ok(
        &schema,
        a,
        &["channel", "push", &st.a_channel[..8], "1000"],
        "channel",
    );
    let closed = ok(
        &schema,
        a,
        &["channel", "close", &st.a_channel[..8]],
        "channel",
    );
    assert_ne!(closed["status"], "open", "{closed}");
    st.env.mine(1);
    let list = ok(&schema, a, &["channel", "list"], "channels");
    assert_eq!(list["channels"], serde_json::json!([]), "{list}");
    assert_eq!(list["hidden"], 1, "{list}");
    let all = ok(&schema, a, &["channel", "list", "--all"], "channels");
    assert_eq!(all["channels"][0]["status"], "closed", "{all}");
    assert_eq!(
        all["channels"][0]["chain"]["status"], "closed_cooperatively",
        "{all}"
    );
    ok(
        &schema,
        a,
        &["channel", "list", "--status", "closed"],
        "channels",
    );

    // Errors: one document, what to do in `hint`, never in `message`.
    for (args, code) in [
        (vec!["payments", "show", "123"], 2),
        (vec!["payments", "show", "zzzz"], 2),
        (vec!["payments", "show", "ffffffff"], 1),
        (vec!["channel", "show", "12"], 2),
        (vec!["channel", "open", "127.0.0.1:9", "100000"], 2),
        (vec!["wallet", "send", "nonsense", "1000"], 2),
        (vec!["no-such-command"], 2),
    ] {
        let e = err(&schema, a, &args, code);
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            e["error"]["hint"].is_string(),
            "asyncpay {args:?}: no hint: {e}"
        );
        for advice in ["; check", "; expected", "; create", "; copy"] {
            assert!(
                !message.contains(advice),
                "asyncpay {args:?}: advice in the message: {e}"
            );
        }
    }

    // A new wallet: init, passphrase change, and unlocking with a missing identity file.
    let root = st.env.root.path();
    let fresh = Wallet {
        dir: root.join("fresh"),
        chain: st.env.chain(),
        pass: root.join("fresh.pass"),
    };
    std::fs::write(&fresh.pass, "pw\n").unwrap();
    let init = ok(&schema, &fresh, &["init"], "init");
    assert_eq!(init["unlock"], "passphrase");
    ok(&schema, &fresh, &["server", "init"], "server_settings");
    ok(&schema, &fresh, &["server", "info"], "server_settings");
    let new_pass = root.join("fresh.new");
    std::fs::write(&new_pass, "pw2\n").unwrap();
    ok(
        &schema,
        &fresh,
        &[
            "passphrase",
            "change",
            "--new-passphrase-file",
            new_pass.to_str().unwrap(),
        ],
        "passphrase_change",
    );
    let missing = command()
        .args(["--json", "--datadir"])
        .arg(&fresh.dir)
        .args(["--identity", "/nonexistent/identity.txt", "wallet", "info"])
        .output()
        .unwrap();
    assert_eq!(
        missing.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&missing.stdout)
    );
    let e: Value = serde_json::from_slice(&missing.stdout).unwrap();
    schema.check("error", &e, "a missing identity file");

    // S stopped: `server info` lists its channels (A's, closed, only with --all).
    drop(st.server);
    let info = ok(&schema, sw, &["server", "info"], "server_settings");
    let all = ok(&schema, sw, &["server", "info", "--all"], "server_settings");
    let shown = info["channels"].as_array().unwrap().len() as u64;
    assert_eq!(shown + info["hidden"].as_u64().unwrap(), 2, "{info}");
    assert_eq!(all["channels"].as_array().unwrap().len(), 2, "{all}");
    let (code, text, _) = sw.human(&["server", "info", "--all"]);
    assert_eq!(code, 0);
    assert!(text.contains("\nCHANNEL "), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}

/// Rewrites the id of a copy of `w`'s payment `from` to `to` in its store (as a second
/// payment would be recorded), so that two ids share a prefix.
fn plant_payment(w: &Wallet, from: &str, to: &str) {
    use asyncpay::client::ClientPayment;
    let mut p: ClientPayment = common::procs::read_store(w)
        .load_keyed(from)
        .unwrap()
        .unwrap();
    p.payment_id = to.parse().unwrap();
    common::procs::plant(w, to, &p);
}

#[test]
fn an_ambiguous_id_prefix_is_refused_with_the_candidates_and_a_longer_one_works() {
    let schema = Schema::load();
    let st = Story::new(&[]);
    let a = &st.a;
    let pid = s(
        &ok(&schema, a, &["pay", &st.address, "1000"], "payment"),
        "payment_id",
    );
    // Two more payments whose ids start as this one's does, up to its 8th and 10th digit.
    let twin = |keep: usize| {
        let flip = if &pid[keep..=keep] == "0" { "1" } else { "0" };
        format!("{}{flip}{}", &pid[..keep], &pid[keep + 1..])
    };
    let (t8, t10) = (twin(8), twin(10));
    plant_payment(a, &pid, &t8);
    plant_payment(a, &pid, &t10);

    let e = err(&schema, a, &["payments", "show", &pid[..6]], 2);
    let hint = e["error"]["hint"].as_str().unwrap();
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ambiguous"),
        "{e}"
    );
    for id in [&pid, &t8, &t10] {
        assert!(hint.contains(id.as_str()), "candidate {id} not in {hint}");
    }
    // Nine digits still match pid and t10; eleven name one.
    err(&schema, a, &["payments", "cancel", &pid[..9]], 2);
    let shown = ok(&schema, a, &["payments", "show", &pid[..11]], "payment");
    assert_eq!(shown["payment_id"], pid.as_str());
    let shown = ok(
        &schema,
        a,
        &["payments", "show", &t8[..9].to_uppercase()],
        "payment",
    );
    assert_eq!(shown["payment_id"], t8.as_str());
    // A full id is never ambiguous; a prefix longer than an id is malformed.
    ok(&schema, a, &["payments", "show", &pid], "payment");
    err(&schema, a, &["payments", "show", &format!("{pid}0")], 2);

    // The human list shows ids shortened to what keeps them apart.
    let (code, out, _) = a.human(&["payments", "list"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ID"), "a header first:\n{out}");
    assert!(
        out.contains(&pid[..11]) && !out.contains(&pid[..13]),
        "{out}"
    );
    assert!(
        out.lines().all(|l| l.chars().count() <= 100),
        "wider than 100 columns:\n{out}"
    );
    // Also when the rows that share the digits are hidden (`--limit 1`): a shown id typed
    // back names one payment.
    let (code, out, _) = a.human(&["payments", "list", "--limit", "1"]);
    assert_eq!(code, 0);
    let row = out.lines().nth(1).unwrap();
    let shown = row.split_whitespace().next().unwrap();
    assert_eq!(shown.len(), 11, "{out}");
    let back = ok(&schema, a, &["payments", "show", shown], "payment");
    assert!(back["payment_id"].as_str().unwrap().starts_with(shown));
}

/// `asyncpay` as `w`, human output, on a pseudo-terminal (`script`), with `env` and without
/// any inherited `NO_COLOR`.
fn on_terminal(w: &Wallet, args: &str, env: &[(&str, &str)]) -> Option<String> {
    let set: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let inner = format!(
        "env -u NO_COLOR TERM=xterm ASYNCPAY_SCRYPT_WORK_FACTOR=10 {} {} --datadir {} \
         --chain regtest:{} --passphrase-file {} {args}",
        set.join(" "),
        common::procs::BIN,
        w.dir.display(),
        w.chain.display(),
        w.pass.display()
    );
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color_or_json() {
    let st = Story::new(&[]);
    let a = &st.a;
    let Some(coloured) = on_terminal(a, "channel list", &[]) else {
        eprintln!("no working `script` to make a terminal: skipped");
        return;
    };
    assert!(coloured.contains("\x1b[32mopen\x1b[0m"), "{coloured:?}");
    // (The spinner on stderr moves the cursor with escape codes; colours end in ESC[0m.)
    let plain = on_terminal(a, "channel list", &[("NO_COLOR", "1")]).unwrap();
    assert!(
        plain.contains("open") && !plain.contains("\x1b[0m"),
        "{plain:?}"
    );
    let json = on_terminal(a, "--json channel list", &[]).unwrap();
    assert!(!json.contains('\x1b'), "{json:?}");
    let error = on_terminal(a, "payments show 12", &[]);
    assert!(error.is_none(), "a usage error fails");
    // Piped: no colour.
    let (_, piped, _) = a.human(&["channel", "list"]);
    assert!(
        !piped.contains('\x1b') && piped.contains("open"),
        "{piped:?}"
    );
}

// ----- snapshots of the human output -----

/// Compares with `tests/snapshots/NAME.txt`; `ASYNCPAY_UPDATE_SNAPSHOTS=1` rewrites it.
fn snapshot(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("ASYNCPAY_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("missing snapshot {name}; run with ASYNCPAY_UPDATE_SNAPSHOTS=1")
    });
    assert_eq!(
        got, want,
        "snapshot {name} differs (ASYNCPAY_UPDATE_SNAPSHOTS=1 to accept)"
    );
}

/// What changes from run to run, made constant: hex ids (8 or more digits) become `#`s of
/// the same length, ISO 8601 times `YYYY-MM-DDThh:mm:ssZ`, relative times `<when>`, the
/// server's port `PORT`; then runs of spaces inside a line are cut to two (relative times
/// and ids change the column widths; the tests above check the width).
fn normalize(text: &str, port: &str) -> String {
    let text = text.replace(port, "PORT");
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut s = String::new();
        let mut i = 0;
        while i < chars.len() {
            let hex = chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || ('a'..='f').contains(c))
                .count();
            let boundary = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
            if boundary && hex >= 8 {
                s.extend(std::iter::repeat_n('#', hex));
                i += hex;
                // An outpoint's index (the funding or change output comes first or second).
                let digits = chars[i..]
                    .iter()
                    .skip(1)
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if chars.get(i) == Some(&':') && digits > 0 {
                    s.push_str(":N");
                    i += 1 + digits;
                }
                continue;
            }
            let rest: String = chars[i..].iter().take(20).collect();
            if rest.len() == 20
                && rest.as_bytes()[10] == b'T'
                && rest.ends_with('Z')
                && rest.as_bytes()[4] == b'-'
            {
                s.push_str("YYYY-MM-DDThh:mm:ssZ");
                i += 20;
                continue;
            }
            s.push(chars[i]);
            i += 1;
        }
        // Relative times.
        let words: Vec<&str> = s.split(' ').collect();
        let mut cleaned: Vec<String> = Vec::new();
        let mut j = 0;
        while j < words.len() {
            let unit = |w: &str| matches!(w.trim_end_matches(','), "s" | "min" | "h" | "d");
            let num = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
            if words[j].starts_with("bcrt1") {
                cleaned.push("<address>".into());
                j += 1;
            } else if words[j] == "just" && words.get(j + 1) == Some(&"now") {
                cleaned.push("<when>".into());
                j += 2;
            } else if (words[j] == "in"
                && words.get(j + 1).is_some_and(|w| num(w))
                && words.get(j + 2).is_some_and(|w| unit(w)))
                || (num(words[j])
                    && words.get(j + 1).is_some_and(|w| unit(w))
                    && words.get(j + 2) == Some(&"ago"))
            {
                cleaned.push("<when>".into());
                j += 3;
            } else {
                cleaned.push(words[j].to_owned());
                j += 1;
            }
        }
        let mut line = cleaned.join(" ");
        let lead = line.len() - line.trim_start().len();
        let body = line.split_off(lead);
        let mut body = body.trim_end().to_owned();
        while body.contains("   ") {
            body = body.replace("   ", "  ");
        }
        out.push(format!("{line}{body}"));
    }
    out.join("\n")
}

#[test]
fn the_human_lists_and_shows_snapshot() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    let port = st.server.url.rsplit(':').next().unwrap().to_owned();
    // A second apart: payments made in the same second list in the order of their ids.
    let second = || std::thread::sleep(std::time::Duration::from_millis(1_100));
    let paid = st.pay(10_000);
    b.ok(&["receive"]);
    a.ok(&["sync"]);
    second();
    let cancelled = st.pay(5_000);
    a.ok(&["payments", "cancel", &cancelled]);
    second();
    let pending = st.pay(2_500);
    let mut all = String::new();
    for (who, w, args) in [
        ("a", a, vec!["payments", "list"]),
        ("a", a, vec!["payments", "list", "--all"]),
        ("a", a, vec!["payments", "show", &paid[..8]]),
        ("a", a, vec!["payments", "show", &cancelled[..8]]),
        ("a", a, vec!["payments", "show", &pending[..8]]),
        ("b", b, vec!["payments", "show", &paid[..8]]),
        ("a", a, vec!["channel", "list"]),
        ("a", a, vec!["channel", "show", &st.a_channel[..8]]),
        ("a", a, vec!["wallet", "balance"]),
        ("a", a, vec!["wallet", "utxos"]),
        ("a", a, vec!["wallet", "transactions", "--limit", "2"]),
        ("a", a, vec!["status"]),
        ("a", a, vec!["payments", "show", "12"]),
        ("a", a, vec!["channel", "open", "127.0.0.1:9", "100000"]),
    ] {
        let (code, stdout, stderr) = w.human(&args);
        let list = args.contains(&"list") || args[0] == "wallet";
        for line in stdout.lines().filter(|_| list) {
            assert!(
                line.chars().count() <= 100,
                "wider than 100 columns: {line}"
            );
        }
        all.push_str(&format!(
            "## {who}$ asyncpay {} (exit {code})\n{}\n",
            normalize(&args.join(" "), &port),
            normalize(&format!("{stdout}{stderr}"), &port)
        ));
    }
    snapshot("human-lists", &all);
}
