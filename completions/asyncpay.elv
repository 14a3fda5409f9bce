
use builtin;
use str;

set edit:completion:arg-completer[asyncpay] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'asyncpay'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'asyncpay'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand demo 'Walk through the story on a local regtest ledger with three wallets'
            cand init 'Create a wallet: a new 24-word seed, or restore one with --restore'
            cand wallet 'On-chain wallet: addresses, balance, sending, history'
            cand passphrase 'Change the wallet passphrase'
            cand regtest 'The local regtest ledger: mine blocks, fund addresses, show the tip'
            cand status 'The wallet at a glance: balances, pending payments, channels, servers (only reads)'
            cand address 'Show this wallet''s payment address: what payers need to pay it while it is offline'
            cand decode 'Explain a string: a payment address, an invoice, a node id, a channel id, a bitcoin address or a raw transaction (hex; channel updates and settlements are recognized)'
            cand pay 'Pay a payment address, even while the payee is offline (asynchronous payment)'
            cand receive 'Collect payments: fetch update packages, sell them to S, and claim'
            cand claim 'Claim sold payments: reveal the scalar to S and take the PTLC into your balance'
            cand sync 'Collect what S holds for your payments: invoices, scalars, signatures; cancel expired ones'
            cand payments 'Payments sent and received: list, show, wait, cancel'
            cand channel 'Channels with a server S: open, request inbound capacity, pay S, close'
            cand server 'Run this wallet as the server S'
            cand repl 'Interactive shell: the same commands, unlocked once'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;demo'= {
            cand --keep 'Keep the wallets in DIR (new or empty) for exploring afterwards'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;init'= {
            cand --database 'Keep the wallet''s records in this PostgreSQL database (in a schema of their own) instead of records.sqlite in the data dir, e.g. postgres://asyncpay@db.internal/ asyncpay?sslmode=verify-full&sslrootcert=/etc/asyncpay/db-ca.pem. A host off this machine needs TLS checked against a CA (sslmode=verify-full or verify-ca, with sslrootcert=FILE or system) or sslmode=disable. No password in the URL: set PGPASSWORD, or use peer authentication'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --restore 'Restore from an existing mnemonic (read from the terminal, or stdin when piped)'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand address 'Show a new receive address'
            cand balance 'Show the balance (confirmed, pending, immature)'
            cand send 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)'
            cand transactions 'List wallet transactions, newest first'
            cand utxos 'List unspent outputs'
            cand backup 'Show the mnemonic (only on explicit request)'
            cand info 'Show the node id and the storage identity''s public recipient'
            cand set-chain 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere'
            cand set-min-budget 'Refuse servers whose confirmation budget is below BLOCKS [default: 6; 1 on regtest]'
            cand set-min-depth 'Refuse inbound channels whose server counts its funding as final after fewer than BLOCKS confirmations [default: 3; 1 on regtest]'
            cand move-records 'Move every record of the wallet into a new PostgreSQL schema (TARGET: a database URL, as for `init --database`; no password in it: set PGPASSWORD), or back into records.sqlite (TARGET: sqlite); the old copy is destroyed once the new one is in use'
            cand upgrade 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;wallet;address'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;balance'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;send'= {
            cand --fee-rate 'Fee rate in sat/vB'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --all 'Send every confirmed coin, less the fee: one output, no change (unconfirmed coins stay)'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;transactions'= {
            cand --limit 'Show at most N (the newest)'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;utxos'= {
            cand --limit 'Show at most N'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;backup'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --force 'Print the mnemonic even when stdout is not a terminal'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;info'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;set-chain'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;set-min-budget'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;set-min-depth'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;move-records'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;upgrade'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;wallet;help'= {
            cand address 'Show a new receive address'
            cand balance 'Show the balance (confirmed, pending, immature)'
            cand send 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)'
            cand transactions 'List wallet transactions, newest first'
            cand utxos 'List unspent outputs'
            cand backup 'Show the mnemonic (only on explicit request)'
            cand info 'Show the node id and the storage identity''s public recipient'
            cand set-chain 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere'
            cand set-min-budget 'Refuse servers whose confirmation budget is below BLOCKS [default: 6; 1 on regtest]'
            cand set-min-depth 'Refuse inbound channels whose server counts its funding as final after fewer than BLOCKS confirmations [default: 3; 1 on regtest]'
            cand move-records 'Move every record of the wallet into a new PostgreSQL schema (TARGET: a database URL, as for `init --database`; no password in it: set PGPASSWORD), or back into records.sqlite (TARGET: sqlite); the old copy is destroyed once the new one is in use'
            cand upgrade 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;wallet;help;address'= {
        }
        &'asyncpay;wallet;help;balance'= {
        }
        &'asyncpay;wallet;help;send'= {
        }
        &'asyncpay;wallet;help;transactions'= {
        }
        &'asyncpay;wallet;help;utxos'= {
        }
        &'asyncpay;wallet;help;backup'= {
        }
        &'asyncpay;wallet;help;info'= {
        }
        &'asyncpay;wallet;help;set-chain'= {
        }
        &'asyncpay;wallet;help;set-min-budget'= {
        }
        &'asyncpay;wallet;help;set-min-depth'= {
        }
        &'asyncpay;wallet;help;move-records'= {
        }
        &'asyncpay;wallet;help;upgrade'= {
        }
        &'asyncpay;wallet;help;help'= {
        }
        &'asyncpay;passphrase'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand change 'Change the passphrase (the records need no re-encryption)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;passphrase;change'= {
            cand --new-passphrase-file 'Read the new passphrase from the first line of FILE'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;passphrase;help'= {
            cand change 'Change the passphrase (the records need no re-encryption)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;passphrase;help;change'= {
        }
        &'asyncpay;passphrase;help;help'= {
        }
        &'asyncpay;regtest'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand mine 'Mine N blocks'
            cand fund 'Pay AMOUNT to ADDRESS from the faucet and mine it'
            cand info 'Show the ledger''s tip and mempool'
            cand verify 'Re-validate the stored chain by consensus'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;regtest;mine'= {
            cand --to 'Pay the coinbases to ADDRESS [default: the ledger''s faucet]'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;regtest;fund'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;regtest;info'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;regtest;verify'= {
            cand --blocks 'Only the last N blocks up to the tip [default: every block, and every row of the UTXO table accounted for]'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;regtest;help'= {
            cand mine 'Mine N blocks'
            cand fund 'Pay AMOUNT to ADDRESS from the faucet and mine it'
            cand info 'Show the ledger''s tip and mempool'
            cand verify 'Re-validate the stored chain by consensus'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;regtest;help;mine'= {
        }
        &'asyncpay;regtest;help;fund'= {
        }
        &'asyncpay;regtest;help;info'= {
        }
        &'asyncpay;regtest;help;verify'= {
        }
        &'asyncpay;regtest;help;help'= {
        }
        &'asyncpay;status'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;address'= {
            cand --server 'The server whose mailbox receives payments [default: the server of this wallet''s first channel]'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;decode'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;pay'= {
            cand --expiry 'How long the payee has to collect it: 30s, 10m, 24h, 7d (at most 30d)'
            cand --package-out 'Write the armored, encrypted update package to FILE instead of posting it to the payee''s mailbox (give it to the payee yourself)'
            cand --channel 'Pay through this channel (its id or a unique prefix) [default: one with enough balance]'
            cand --max-fee 'The most S''s fee may be: 50, 50sat or 0.0000005btc [default: 1% of AMOUNT]; a server asking more is refused before anything is signed'
            cand --wait 'Wait until the payment is paid or cancelled, at most DURATION [default: until it expires]; exit 5 if it is still pending then, exit 1 if it was cancelled or failed'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;receive'= {
            cand --package 'Read one armored or binary package from FILE instead of the mailbox'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --no-claim 'Sell, but do not claim yet (run `asyncpay claim` later)'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;claim'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;sync'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;payments'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand list 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status'
            cand show 'Show one payment'
            cand wait 'Wait until a payment is paid or cancelled (syncing with S)'
            cand cancel 'Cancel a pending payment: S refuses any later sale, your balance comes back'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;payments;list'= {
            cand --status 'Only entries with this status (e.g. pending, paid, open, closed)'
            cand --limit 'Show at most N (the most recent)'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --all 'Also list what is over: closed and abandoned channels, cancelled and failed payments'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;payments;show'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;payments;wait'= {
            cand --timeout 'Give up after this long (exit code 5)'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;payments;cancel'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;payments;help'= {
            cand list 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status'
            cand show 'Show one payment'
            cand wait 'Wait until a payment is paid or cancelled (syncing with S)'
            cand cancel 'Cancel a pending payment: S refuses any later sale, your balance comes back'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;payments;help;list'= {
        }
        &'asyncpay;payments;help;show'= {
        }
        &'asyncpay;payments;help;wait'= {
        }
        &'asyncpay;payments;help;cancel'= {
        }
        &'asyncpay;payments;help;help'= {
        }
        &'asyncpay;channel'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand open 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT'
            cand request-inbound 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)'
            cand list 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status'
            cand show 'Show one channel'
            cand push 'Pay the server AMOUNT inside the channel (a new signed state)'
            cand close 'Close a channel: cooperatively with the server, or on chain alone with --force'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;channel;open'= {
            cand --fee-rate 'Fee rate of the funding transaction in sat/vB'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;channel;request-inbound'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;channel;list'= {
            cand --status 'Only entries with this status (e.g. pending, paid, open, closed)'
            cand --limit 'Show at most N (the most recent)'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --all 'Also list what is over: closed and abandoned channels, cancelled and failed payments'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;channel;show'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;channel;push'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;channel;close'= {
            cand --fee 'Fee of the cooperative close transaction, paid from this wallet''s balance'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --force 'Publish the latest state on chain without the server, wait shared_delay blocks, then publish the settlement'
            cand --no-wait 'With --force: publish what can be published now and return (exit 5 while the settlement is not yet final) instead of waiting'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;channel;help'= {
            cand open 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT'
            cand request-inbound 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)'
            cand list 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status'
            cand show 'Show one channel'
            cand push 'Pay the server AMOUNT inside the channel (a new signed state)'
            cand close 'Close a channel: cooperatively with the server, or on chain alone with --force'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;channel;help;open'= {
        }
        &'asyncpay;channel;help;request-inbound'= {
        }
        &'asyncpay;channel;help;list'= {
        }
        &'asyncpay;channel;help;show'= {
        }
        &'asyncpay;channel;help;push'= {
        }
        &'asyncpay;channel;help;close'= {
        }
        &'asyncpay;channel;help;help'= {
        }
        &'asyncpay;server'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand init 'Set this wallet up as a server S (channel policy shown to clients)'
            cand run 'Run the server until interrupted (Ctrl-C or SIGTERM)'
            cand info 'Show the server''s settings and channels (closed and abandoned ones with --all)'
            cand status 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)'
            cand sales 'Sales waiting for the operator of a running `server run --manual`: list, approve'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;server;init'= {
            cand --listen 'Address to listen on'
            cand --shared-delay 'Settlement delay in blocks for new channels'
            cand --min-shared-delay 'Smallest settlement delay a client may ask for'
            cand --inbound-shared-delay 'Settlement delay of channels S funds (where payees receive); client-funded channels need at least this + 5 x budget + 4'
            cand --confirmation-budget 'Blocks S allows a time-critical transaction to confirm in (sets PTLC expiries)'
            cand --max-capacity 'Largest channel capacity'
            cand --dust-limit 'Dust limit of settlement outputs'
            cand --min-confirmations 'Confirmations before a channel is usable (0: a client''s funding is trusted for updates at once; S still buys a payment only once the payer''s funding has one)'
            cand --fee-ppm 'S''s fee for a payment, parts per million'
            cand --inbound 'Whom S funds inbound channels for: stake (nodes with their own open channel, up to --inbound-stake-pct of it, and the allow-list), allow-list, or anyone (Sybil-prone: demos and tests)'
            cand --inbound-allow 'A node S funds inbound channels for whatever the policy (repeat for more)'
            cand --inbound-stake-pct 'Inbound capacity per node, in percent of what it funds itself (policy stake)'
            cand --max-inbound 'Total capacity of all channels S funds'
            cand --max-unfunded-per-node 'Channels a node may have open but not funded yet'
            cand --max-unfunded 'Channels not funded yet that nodes without a funded channel with S may have, all together (a node with one is held back only by its own limit)'
            cand --open-expiry-blocks 'Blocks after which an open whose funding S has not seen confirmed is forgotten'
            cand --idle-inbound-blocks 'Blocks after which S closes a channel it funded that nothing was paid into since its funding or the last payment (0: never)'
            cand --inbound-notice-blocks 'Blocks of notice before S closes inbound channels a node''s live stake no longer covers (policy stake)'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --no-inbound 'Do not fund channels for clients'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;server;run'= {
            cand --listen 'Address to listen on [default: the one from `server init`]'
            cand --tls-cert 'HTTPS certificate chain (PEM); needs --tls-key'
            cand --tls-key 'HTTPS private key (PEM)'
            cand --watch-interval-ms 'Milliseconds between two passes of the chain watcher'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --manual 'Queue each sale until the operator approves it (`asyncpay server sales approve`)'
            cand -v 'Log more on stderr: request body sizes and the watcher''s passes (`--quiet`: only warnings and errors)'
            cand --verbose 'Log more on stderr: request body sizes and the watcher''s passes (`--quiet`: only warnings and errors)'
            cand --standby 'Stand by while another copy of this data dir (on another machine) writes the records, and take over when it stops; needs the records in PostgreSQL'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;server;info'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --all 'Also list closed and abandoned channels'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;server;status'= {
            cand --server 'URL of the running `server run` [default: http:// and the listen address from `server init`]'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;server;sales'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand list 'List the sales waiting for approval'
            cand approve 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;server;sales;list'= {
            cand --limit 'Show at most N (the oldest)'
            cand --server 'URL of the running `server run` [default: http:// and the listen address from `server init`]'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;server;sales;approve'= {
            cand --server 'URL of the running `server run` [default: http:// and the listen address from `server init`]'
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;server;sales;help'= {
            cand list 'List the sales waiting for approval'
            cand approve 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;server;sales;help;list'= {
        }
        &'asyncpay;server;sales;help;approve'= {
        }
        &'asyncpay;server;sales;help;help'= {
        }
        &'asyncpay;server;help'= {
            cand init 'Set this wallet up as a server S (channel policy shown to clients)'
            cand run 'Run the server until interrupted (Ctrl-C or SIGTERM)'
            cand info 'Show the server''s settings and channels (closed and abandoned ones with --all)'
            cand status 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)'
            cand sales 'Sales waiting for the operator of a running `server run --manual`: list, approve'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;server;help;init'= {
        }
        &'asyncpay;server;help;run'= {
        }
        &'asyncpay;server;help;info'= {
        }
        &'asyncpay;server;help;status'= {
        }
        &'asyncpay;server;help;sales'= {
            cand list 'List the sales waiting for approval'
            cand approve 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it'
        }
        &'asyncpay;server;help;sales;list'= {
        }
        &'asyncpay;server;help;sales;approve'= {
        }
        &'asyncpay;server;help;help'= {
        }
        &'asyncpay;repl'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;completions'= {
            cand --datadir 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]'
            cand --network 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]'
            cand --chain 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]'
            cand --passphrase-file 'Read the wallet passphrase from the first line of FILE'
            cand --passphrase-fd 'Read the wallet passphrase from file descriptor N'
            cand --identity 'Unlock with a plain age identity file instead of a passphrase'
            cand --config 'Config file of defaults (TOML) [default: config.toml in the platform config dir]'
            cand --anchor-fee-rate 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]'
            cand --server-ca 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S'
            cand --json 'Print one JSON document on stdout instead of text'
            cand -q 'Print only the result: no progress, no hints'
            cand --quiet 'Print only the result: no progress, no hints'
            cand --wait-lock 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'asyncpay;help'= {
            cand demo 'Walk through the story on a local regtest ledger with three wallets'
            cand init 'Create a wallet: a new 24-word seed, or restore one with --restore'
            cand wallet 'On-chain wallet: addresses, balance, sending, history'
            cand passphrase 'Change the wallet passphrase'
            cand regtest 'The local regtest ledger: mine blocks, fund addresses, show the tip'
            cand status 'The wallet at a glance: balances, pending payments, channels, servers (only reads)'
            cand address 'Show this wallet''s payment address: what payers need to pay it while it is offline'
            cand decode 'Explain a string: a payment address, an invoice, a node id, a channel id, a bitcoin address or a raw transaction (hex; channel updates and settlements are recognized)'
            cand pay 'Pay a payment address, even while the payee is offline (asynchronous payment)'
            cand receive 'Collect payments: fetch update packages, sell them to S, and claim'
            cand claim 'Claim sold payments: reveal the scalar to S and take the PTLC into your balance'
            cand sync 'Collect what S holds for your payments: invoices, scalars, signatures; cancel expired ones'
            cand payments 'Payments sent and received: list, show, wait, cancel'
            cand channel 'Channels with a server S: open, request inbound capacity, pay S, close'
            cand server 'Run this wallet as the server S'
            cand repl 'Interactive shell: the same commands, unlocked once'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncpay;help;demo'= {
        }
        &'asyncpay;help;init'= {
        }
        &'asyncpay;help;wallet'= {
            cand address 'Show a new receive address'
            cand balance 'Show the balance (confirmed, pending, immature)'
            cand send 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)'
            cand transactions 'List wallet transactions, newest first'
            cand utxos 'List unspent outputs'
            cand backup 'Show the mnemonic (only on explicit request)'
            cand info 'Show the node id and the storage identity''s public recipient'
            cand set-chain 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere'
            cand set-min-budget 'Refuse servers whose confirmation budget is below BLOCKS [default: 6; 1 on regtest]'
            cand set-min-depth 'Refuse inbound channels whose server counts its funding as final after fewer than BLOCKS confirmations [default: 3; 1 on regtest]'
            cand move-records 'Move every record of the wallet into a new PostgreSQL schema (TARGET: a database URL, as for `init --database`; no password in it: set PGPASSWORD), or back into records.sqlite (TARGET: sqlite); the old copy is destroyed once the new one is in use'
            cand upgrade 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)'
        }
        &'asyncpay;help;wallet;address'= {
        }
        &'asyncpay;help;wallet;balance'= {
        }
        &'asyncpay;help;wallet;send'= {
        }
        &'asyncpay;help;wallet;transactions'= {
        }
        &'asyncpay;help;wallet;utxos'= {
        }
        &'asyncpay;help;wallet;backup'= {
        }
        &'asyncpay;help;wallet;info'= {
        }
        &'asyncpay;help;wallet;set-chain'= {
        }
        &'asyncpay;help;wallet;set-min-budget'= {
        }
        &'asyncpay;help;wallet;set-min-depth'= {
        }
        &'asyncpay;help;wallet;move-records'= {
        }
        &'asyncpay;help;wallet;upgrade'= {
        }
        &'asyncpay;help;passphrase'= {
            cand change 'Change the passphrase (the records need no re-encryption)'
        }
        &'asyncpay;help;passphrase;change'= {
        }
        &'asyncpay;help;regtest'= {
            cand mine 'Mine N blocks'
            cand fund 'Pay AMOUNT to ADDRESS from the faucet and mine it'
            cand info 'Show the ledger''s tip and mempool'
            cand verify 'Re-validate the stored chain by consensus'
        }
        &'asyncpay;help;regtest;mine'= {
        }
        &'asyncpay;help;regtest;fund'= {
        }
        &'asyncpay;help;regtest;info'= {
        }
        &'asyncpay;help;regtest;verify'= {
        }
        &'asyncpay;help;status'= {
        }
        &'asyncpay;help;address'= {
        }
        &'asyncpay;help;decode'= {
        }
        &'asyncpay;help;pay'= {
        }
        &'asyncpay;help;receive'= {
        }
        &'asyncpay;help;claim'= {
        }
        &'asyncpay;help;sync'= {
        }
        &'asyncpay;help;payments'= {
            cand list 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status'
            cand show 'Show one payment'
            cand wait 'Wait until a payment is paid or cancelled (syncing with S)'
            cand cancel 'Cancel a pending payment: S refuses any later sale, your balance comes back'
        }
        &'asyncpay;help;payments;list'= {
        }
        &'asyncpay;help;payments;show'= {
        }
        &'asyncpay;help;payments;wait'= {
        }
        &'asyncpay;help;payments;cancel'= {
        }
        &'asyncpay;help;channel'= {
            cand open 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT'
            cand request-inbound 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)'
            cand list 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status'
            cand show 'Show one channel'
            cand push 'Pay the server AMOUNT inside the channel (a new signed state)'
            cand close 'Close a channel: cooperatively with the server, or on chain alone with --force'
        }
        &'asyncpay;help;channel;open'= {
        }
        &'asyncpay;help;channel;request-inbound'= {
        }
        &'asyncpay;help;channel;list'= {
        }
        &'asyncpay;help;channel;show'= {
        }
        &'asyncpay;help;channel;push'= {
        }
        &'asyncpay;help;channel;close'= {
        }
        &'asyncpay;help;server'= {
            cand init 'Set this wallet up as a server S (channel policy shown to clients)'
            cand run 'Run the server until interrupted (Ctrl-C or SIGTERM)'
            cand info 'Show the server''s settings and channels (closed and abandoned ones with --all)'
            cand status 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)'
            cand sales 'Sales waiting for the operator of a running `server run --manual`: list, approve'
        }
        &'asyncpay;help;server;init'= {
        }
        &'asyncpay;help;server;run'= {
        }
        &'asyncpay;help;server;info'= {
        }
        &'asyncpay;help;server;status'= {
        }
        &'asyncpay;help;server;sales'= {
            cand list 'List the sales waiting for approval'
            cand approve 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it'
        }
        &'asyncpay;help;server;sales;list'= {
        }
        &'asyncpay;help;server;sales;approve'= {
        }
        &'asyncpay;help;repl'= {
        }
        &'asyncpay;help;completions'= {
        }
        &'asyncpay;help;help'= {
        }
    ]
    $completions[$command]
}
