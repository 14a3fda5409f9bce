
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'asyncpay' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'asyncpay'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'asyncpay' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Walk through the story on a local regtest ledger with three wallets')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a wallet: a new 24-word seed, or restore one with --restore')
            [CompletionResult]::new('wallet', 'wallet', [CompletionResultType]::ParameterValue, 'On-chain wallet: addresses, balance, sending, history')
            [CompletionResult]::new('passphrase', 'passphrase', [CompletionResultType]::ParameterValue, 'Change the wallet passphrase')
            [CompletionResult]::new('regtest', 'regtest', [CompletionResultType]::ParameterValue, 'The local regtest ledger: mine blocks, fund addresses, show the tip')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The wallet at a glance: balances, pending payments, channels, servers (only reads)')
            [CompletionResult]::new('address', 'address', [CompletionResultType]::ParameterValue, 'Show this wallet''s payment address: what payers need to pay it while it is offline')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Explain a string: a payment address, an invoice, a node id, a channel id, a bitcoin address or a raw transaction (hex; channel updates and settlements are recognized)')
            [CompletionResult]::new('pay', 'pay', [CompletionResultType]::ParameterValue, 'Pay a payment address, even while the payee is offline (asynchronous payment)')
            [CompletionResult]::new('receive', 'receive', [CompletionResultType]::ParameterValue, 'Collect payments: fetch update packages, sell them to S, and claim')
            [CompletionResult]::new('claim', 'claim', [CompletionResultType]::ParameterValue, 'Claim sold payments: reveal the scalar to S and take the PTLC into your balance')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Collect what S holds for your payments: invoices, scalars, signatures; cancel expired ones')
            [CompletionResult]::new('payments', 'payments', [CompletionResultType]::ParameterValue, 'Payments sent and received: list, show, wait, cancel')
            [CompletionResult]::new('channel', 'channel', [CompletionResultType]::ParameterValue, 'Channels with a server S: open, request inbound capacity, pay S, close')
            [CompletionResult]::new('server', 'server', [CompletionResultType]::ParameterValue, 'Run this wallet as the server S')
            [CompletionResult]::new('repl', 'repl', [CompletionResultType]::ParameterValue, 'Interactive shell: the same commands, unlocked once')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;demo' {
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the wallets in DIR (new or empty) for exploring afterwards')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;init' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Keep the wallet''s records in this PostgreSQL database (in a schema of their own) instead of records.sqlite in the data dir, e.g. postgres://asyncpay@db.internal/ asyncpay?sslmode=verify-full&sslrootcert=/etc/asyncpay/db-ca.pem. A host off this machine needs TLS checked against a CA (sslmode=verify-full or verify-ca, with sslrootcert=FILE or system) or sslmode=disable. No password in the URL: set PGPASSWORD, or use peer authentication')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--restore', '--restore', [CompletionResultType]::ParameterName, 'Restore from an existing mnemonic (read from the terminal, or stdin when piped)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('address', 'address', [CompletionResultType]::ParameterValue, 'Show a new receive address')
            [CompletionResult]::new('balance', 'balance', [CompletionResultType]::ParameterValue, 'Show the balance (confirmed, pending, immature)')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)')
            [CompletionResult]::new('transactions', 'transactions', [CompletionResultType]::ParameterValue, 'List wallet transactions, newest first')
            [CompletionResult]::new('utxos', 'utxos', [CompletionResultType]::ParameterValue, 'List unspent outputs')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Show the mnemonic (only on explicit request)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the node id and the storage identity''s public recipient')
            [CompletionResult]::new('set-chain', 'set-chain', [CompletionResultType]::ParameterValue, 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere')
            [CompletionResult]::new('set-min-budget', 'set-min-budget', [CompletionResultType]::ParameterValue, 'Refuse servers whose confirmation budget is below BLOCKS [default: 6; 1 on regtest]')
            [CompletionResult]::new('set-min-depth', 'set-min-depth', [CompletionResultType]::ParameterValue, 'Refuse inbound channels whose server counts its funding as final after fewer than BLOCKS confirmations [default: 3; 1 on regtest]')
            [CompletionResult]::new('move-records', 'move-records', [CompletionResultType]::ParameterValue, 'Move every record of the wallet into a new PostgreSQL schema (TARGET: a database URL, as for `init --database`; no password in it: set PGPASSWORD), or back into records.sqlite (TARGET: sqlite); the old copy is destroyed once the new one is in use')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;wallet;address' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;balance' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;send' {
            [CompletionResult]::new('--fee-rate', '--fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Send every confirmed coin, less the fee: one output, no change (unconfirmed coins stay)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;transactions' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N (the newest)')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;utxos' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;backup' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Print the mnemonic even when stdout is not a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;info' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;set-chain' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;set-min-budget' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;set-min-depth' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;move-records' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;upgrade' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;wallet;help' {
            [CompletionResult]::new('address', 'address', [CompletionResultType]::ParameterValue, 'Show a new receive address')
            [CompletionResult]::new('balance', 'balance', [CompletionResultType]::ParameterValue, 'Show the balance (confirmed, pending, immature)')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)')
            [CompletionResult]::new('transactions', 'transactions', [CompletionResultType]::ParameterValue, 'List wallet transactions, newest first')
            [CompletionResult]::new('utxos', 'utxos', [CompletionResultType]::ParameterValue, 'List unspent outputs')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Show the mnemonic (only on explicit request)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the node id and the storage identity''s public recipient')
            [CompletionResult]::new('set-chain', 'set-chain', [CompletionResultType]::ParameterValue, 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere')
            [CompletionResult]::new('set-min-budget', 'set-min-budget', [CompletionResultType]::ParameterValue, 'Refuse servers whose confirmation budget is below BLOCKS [default: 6; 1 on regtest]')
            [CompletionResult]::new('set-min-depth', 'set-min-depth', [CompletionResultType]::ParameterValue, 'Refuse inbound channels whose server counts its funding as final after fewer than BLOCKS confirmations [default: 3; 1 on regtest]')
            [CompletionResult]::new('move-records', 'move-records', [CompletionResultType]::ParameterValue, 'Move every record of the wallet into a new PostgreSQL schema (TARGET: a database URL, as for `init --database`; no password in it: set PGPASSWORD), or back into records.sqlite (TARGET: sqlite); the old copy is destroyed once the new one is in use')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;wallet;help;address' {
            break
        }
        'asyncpay;wallet;help;balance' {
            break
        }
        'asyncpay;wallet;help;send' {
            break
        }
        'asyncpay;wallet;help;transactions' {
            break
        }
        'asyncpay;wallet;help;utxos' {
            break
        }
        'asyncpay;wallet;help;backup' {
            break
        }
        'asyncpay;wallet;help;info' {
            break
        }
        'asyncpay;wallet;help;set-chain' {
            break
        }
        'asyncpay;wallet;help;set-min-budget' {
            break
        }
        'asyncpay;wallet;help;set-min-depth' {
            break
        }
        'asyncpay;wallet;help;move-records' {
            break
        }
        'asyncpay;wallet;help;upgrade' {
            break
        }
        'asyncpay;wallet;help;help' {
            break
        }
        'asyncpay;passphrase' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('change', 'change', [CompletionResultType]::ParameterValue, 'Change the passphrase (the records need no re-encryption)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;passphrase;change' {
            [CompletionResult]::new('--new-passphrase-file', '--new-passphrase-file', [CompletionResultType]::ParameterName, 'Read the new passphrase from the first line of FILE')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;passphrase;help' {
            [CompletionResult]::new('change', 'change', [CompletionResultType]::ParameterValue, 'Change the passphrase (the records need no re-encryption)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;passphrase;help;change' {
            break
        }
        'asyncpay;passphrase;help;help' {
            break
        }
        'asyncpay;regtest' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('mine', 'mine', [CompletionResultType]::ParameterValue, 'Mine N blocks')
            [CompletionResult]::new('fund', 'fund', [CompletionResultType]::ParameterValue, 'Pay AMOUNT to ADDRESS from the faucet and mine it')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the ledger''s tip and mempool')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-validate the stored chain by consensus')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;regtest;mine' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Pay the coinbases to ADDRESS [default: the ledger''s faucet]')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;regtest;fund' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;regtest;info' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;regtest;verify' {
            [CompletionResult]::new('--blocks', '--blocks', [CompletionResultType]::ParameterName, 'Only the last N blocks up to the tip [default: every block, and every row of the UTXO table accounted for]')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;regtest;help' {
            [CompletionResult]::new('mine', 'mine', [CompletionResultType]::ParameterValue, 'Mine N blocks')
            [CompletionResult]::new('fund', 'fund', [CompletionResultType]::ParameterValue, 'Pay AMOUNT to ADDRESS from the faucet and mine it')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the ledger''s tip and mempool')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-validate the stored chain by consensus')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;regtest;help;mine' {
            break
        }
        'asyncpay;regtest;help;fund' {
            break
        }
        'asyncpay;regtest;help;info' {
            break
        }
        'asyncpay;regtest;help;verify' {
            break
        }
        'asyncpay;regtest;help;help' {
            break
        }
        'asyncpay;status' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;address' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The server whose mailbox receives payments [default: the server of this wallet''s first channel]')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;decode' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;pay' {
            [CompletionResult]::new('--expiry', '--expiry', [CompletionResultType]::ParameterName, 'How long the payee has to collect it: 30s, 10m, 24h, 7d (at most 30d)')
            [CompletionResult]::new('--package-out', '--package-out', [CompletionResultType]::ParameterName, 'Write the armored, encrypted update package to FILE instead of posting it to the payee''s mailbox (give it to the payee yourself)')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Pay through this channel (its id or a unique prefix) [default: one with enough balance]')
            [CompletionResult]::new('--max-fee', '--max-fee', [CompletionResultType]::ParameterName, 'The most S''s fee may be: 50, 50sat or 0.0000005btc [default: 1% of AMOUNT]; a server asking more is refused before anything is signed')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the payment is paid or cancelled, at most DURATION [default: until it expires]; exit 5 if it is still pending then, exit 1 if it was cancelled or failed')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;receive' {
            [CompletionResult]::new('--package', '--package', [CompletionResultType]::ParameterName, 'Read one armored or binary package from FILE instead of the mailbox')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--no-claim', '--no-claim', [CompletionResultType]::ParameterName, 'Sell, but do not claim yet (run `asyncpay claim` later)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;claim' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;sync' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;payments' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one payment')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a payment is paid or cancelled (syncing with S)')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a pending payment: S refuses any later sale, your balance comes back')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;payments;list' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only entries with this status (e.g. pending, paid, open, closed)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N (the most recent)')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also list what is over: closed and abandoned channels, cancelled and failed payments')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;payments;show' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;payments;wait' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up after this long (exit code 5)')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;payments;cancel' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;payments;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one payment')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a payment is paid or cancelled (syncing with S)')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a pending payment: S refuses any later sale, your balance comes back')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;payments;help;list' {
            break
        }
        'asyncpay;payments;help;show' {
            break
        }
        'asyncpay;payments;help;wait' {
            break
        }
        'asyncpay;payments;help;cancel' {
            break
        }
        'asyncpay;payments;help;help' {
            break
        }
        'asyncpay;channel' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT')
            [CompletionResult]::new('request-inbound', 'request-inbound', [CompletionResultType]::ParameterValue, 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one channel')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Pay the server AMOUNT inside the channel (a new signed state)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close a channel: cooperatively with the server, or on chain alone with --force')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;channel;open' {
            [CompletionResult]::new('--fee-rate', '--fee-rate', [CompletionResultType]::ParameterName, 'Fee rate of the funding transaction in sat/vB')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;channel;request-inbound' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;channel;list' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only entries with this status (e.g. pending, paid, open, closed)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N (the most recent)')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also list what is over: closed and abandoned channels, cancelled and failed payments')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;channel;show' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;channel;push' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;channel;close' {
            [CompletionResult]::new('--fee', '--fee', [CompletionResultType]::ParameterName, 'Fee of the cooperative close transaction, paid from this wallet''s balance')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Publish the latest state on chain without the server, wait shared_delay blocks, then publish the settlement')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'With --force: publish what can be published now and return (exit 5 while the settlement is not yet final) instead of waiting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;channel;help' {
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT')
            [CompletionResult]::new('request-inbound', 'request-inbound', [CompletionResultType]::ParameterValue, 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one channel')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Pay the server AMOUNT inside the channel (a new signed state)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close a channel: cooperatively with the server, or on chain alone with --force')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;channel;help;open' {
            break
        }
        'asyncpay;channel;help;request-inbound' {
            break
        }
        'asyncpay;channel;help;list' {
            break
        }
        'asyncpay;channel;help;show' {
            break
        }
        'asyncpay;channel;help;push' {
            break
        }
        'asyncpay;channel;help;close' {
            break
        }
        'asyncpay;channel;help;help' {
            break
        }
        'asyncpay;server' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Set this wallet up as a server S (channel policy shown to clients)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the server until interrupted (Ctrl-C or SIGTERM)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the server''s settings and channels (closed and abandoned ones with --all)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)')
            [CompletionResult]::new('sales', 'sales', [CompletionResultType]::ParameterValue, 'Sales waiting for the operator of a running `server run --manual`: list, approve')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;server;init' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--shared-delay', '--shared-delay', [CompletionResultType]::ParameterName, 'Settlement delay in blocks for new channels')
            [CompletionResult]::new('--min-shared-delay', '--min-shared-delay', [CompletionResultType]::ParameterName, 'Smallest settlement delay a client may ask for')
            [CompletionResult]::new('--inbound-shared-delay', '--inbound-shared-delay', [CompletionResultType]::ParameterName, 'Settlement delay of channels S funds (where payees receive); client-funded channels need at least this + 5 x budget + 4')
            [CompletionResult]::new('--confirmation-budget', '--confirmation-budget', [CompletionResultType]::ParameterName, 'Blocks S allows a time-critical transaction to confirm in (sets PTLC expiries)')
            [CompletionResult]::new('--max-capacity', '--max-capacity', [CompletionResultType]::ParameterName, 'Largest channel capacity')
            [CompletionResult]::new('--dust-limit', '--dust-limit', [CompletionResultType]::ParameterName, 'Dust limit of settlement outputs')
            [CompletionResult]::new('--min-confirmations', '--min-confirmations', [CompletionResultType]::ParameterName, 'Confirmations before a channel is usable (0: a client''s funding is trusted for updates at once; S still buys a payment only once the payer''s funding has one)')
            [CompletionResult]::new('--fee-ppm', '--fee-ppm', [CompletionResultType]::ParameterName, 'S''s fee for a payment, parts per million')
            [CompletionResult]::new('--inbound', '--inbound', [CompletionResultType]::ParameterName, 'Whom S funds inbound channels for: stake (nodes with their own open channel, up to --inbound-stake-pct of it, and the allow-list), allow-list, or anyone (Sybil-prone: demos and tests)')
            [CompletionResult]::new('--inbound-allow', '--inbound-allow', [CompletionResultType]::ParameterName, 'A node S funds inbound channels for whatever the policy (repeat for more)')
            [CompletionResult]::new('--inbound-stake-pct', '--inbound-stake-pct', [CompletionResultType]::ParameterName, 'Inbound capacity per node, in percent of what it funds itself (policy stake)')
            [CompletionResult]::new('--max-inbound', '--max-inbound', [CompletionResultType]::ParameterName, 'Total capacity of all channels S funds')
            [CompletionResult]::new('--max-unfunded-per-node', '--max-unfunded-per-node', [CompletionResultType]::ParameterName, 'Channels a node may have open but not funded yet')
            [CompletionResult]::new('--max-unfunded', '--max-unfunded', [CompletionResultType]::ParameterName, 'Channels not funded yet that nodes without a funded channel with S may have, all together (a node with one is held back only by its own limit)')
            [CompletionResult]::new('--open-expiry-blocks', '--open-expiry-blocks', [CompletionResultType]::ParameterName, 'Blocks after which an open whose funding S has not seen confirmed is forgotten')
            [CompletionResult]::new('--idle-inbound-blocks', '--idle-inbound-blocks', [CompletionResultType]::ParameterName, 'Blocks after which S closes a channel it funded that nothing was paid into since its funding or the last payment (0: never)')
            [CompletionResult]::new('--inbound-notice-blocks', '--inbound-notice-blocks', [CompletionResultType]::ParameterName, 'Blocks of notice before S closes inbound channels a node''s live stake no longer covers (policy stake)')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--no-inbound', '--no-inbound', [CompletionResultType]::ParameterName, 'Do not fund channels for clients')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;server;run' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on [default: the one from `server init`]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'HTTPS certificate chain (PEM); needs --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'HTTPS private key (PEM)')
            [CompletionResult]::new('--watch-interval-ms', '--watch-interval-ms', [CompletionResultType]::ParameterName, 'Milliseconds between two passes of the chain watcher')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--manual', '--manual', [CompletionResultType]::ParameterName, 'Queue each sale until the operator approves it (`asyncpay server sales approve`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr: request body sizes and the watcher''s passes (`--quiet`: only warnings and errors)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr: request body sizes and the watcher''s passes (`--quiet`: only warnings and errors)')
            [CompletionResult]::new('--standby', '--standby', [CompletionResultType]::ParameterName, 'Stand by while another copy of this data dir (on another machine) writes the records, and take over when it stops; needs the records in PostgreSQL')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;server;info' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also list closed and abandoned channels')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;server;status' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'URL of the running `server run` [default: http:// and the listen address from `server init`]')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;server;sales' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sales waiting for approval')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;server;sales;list' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N (the oldest)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'URL of the running `server run` [default: http:// and the listen address from `server init`]')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;server;sales;approve' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'URL of the running `server run` [default: http:// and the listen address from `server init`]')
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;server;sales;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sales waiting for approval')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;server;sales;help;list' {
            break
        }
        'asyncpay;server;sales;help;approve' {
            break
        }
        'asyncpay;server;sales;help;help' {
            break
        }
        'asyncpay;server;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Set this wallet up as a server S (channel policy shown to clients)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the server until interrupted (Ctrl-C or SIGTERM)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the server''s settings and channels (closed and abandoned ones with --all)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)')
            [CompletionResult]::new('sales', 'sales', [CompletionResultType]::ParameterValue, 'Sales waiting for the operator of a running `server run --manual`: list, approve')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;server;help;init' {
            break
        }
        'asyncpay;server;help;run' {
            break
        }
        'asyncpay;server;help;info' {
            break
        }
        'asyncpay;server;help;status' {
            break
        }
        'asyncpay;server;help;sales' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sales waiting for approval')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it')
            break
        }
        'asyncpay;server;help;sales;list' {
            break
        }
        'asyncpay;server;help;sales;approve' {
            break
        }
        'asyncpay;server;help;help' {
            break
        }
        'asyncpay;repl' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;completions' {
            [CompletionResult]::new('--datadir', '--datadir', [CompletionResultType]::ParameterName, 'Wallet data directory [default: the config file''s datadir, else the platform data dir, per network]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet''s, else the config file''s, else regtest]')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet''s, else the config file''s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from the first line of FILE')
            [CompletionResult]::new('--passphrase-fd', '--passphrase-fd', [CompletionResultType]::ParameterName, 'Read the wallet passphrase from file descriptor N')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Unlock with a plain age identity file instead of a passphrase')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file of defaults (TOML) [default: config.toml in the platform config dir]')
            [CompletionResult]::new('--anchor-fee-rate', '--anchor-fee-rate', [CompletionResultType]::ParameterName, 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a server the least rate of the fundings it publishes [default: the node''s estimate, 2 sat/vB without one]')
            [CompletionResult]::new('--server-ca', '--server-ca', [CompletionResultType]::ParameterName, 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the result: no progress, no hints')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'asyncpay;help' {
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Walk through the story on a local regtest ledger with three wallets')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a wallet: a new 24-word seed, or restore one with --restore')
            [CompletionResult]::new('wallet', 'wallet', [CompletionResultType]::ParameterValue, 'On-chain wallet: addresses, balance, sending, history')
            [CompletionResult]::new('passphrase', 'passphrase', [CompletionResultType]::ParameterValue, 'Change the wallet passphrase')
            [CompletionResult]::new('regtest', 'regtest', [CompletionResultType]::ParameterValue, 'The local regtest ledger: mine blocks, fund addresses, show the tip')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The wallet at a glance: balances, pending payments, channels, servers (only reads)')
            [CompletionResult]::new('address', 'address', [CompletionResultType]::ParameterValue, 'Show this wallet''s payment address: what payers need to pay it while it is offline')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Explain a string: a payment address, an invoice, a node id, a channel id, a bitcoin address or a raw transaction (hex; channel updates and settlements are recognized)')
            [CompletionResult]::new('pay', 'pay', [CompletionResultType]::ParameterValue, 'Pay a payment address, even while the payee is offline (asynchronous payment)')
            [CompletionResult]::new('receive', 'receive', [CompletionResultType]::ParameterValue, 'Collect payments: fetch update packages, sell them to S, and claim')
            [CompletionResult]::new('claim', 'claim', [CompletionResultType]::ParameterValue, 'Claim sold payments: reveal the scalar to S and take the PTLC into your balance')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Collect what S holds for your payments: invoices, scalars, signatures; cancel expired ones')
            [CompletionResult]::new('payments', 'payments', [CompletionResultType]::ParameterValue, 'Payments sent and received: list, show, wait, cancel')
            [CompletionResult]::new('channel', 'channel', [CompletionResultType]::ParameterValue, 'Channels with a server S: open, request inbound capacity, pay S, close')
            [CompletionResult]::new('server', 'server', [CompletionResultType]::ParameterValue, 'Run this wallet as the server S')
            [CompletionResult]::new('repl', 'repl', [CompletionResultType]::ParameterValue, 'Interactive shell: the same commands, unlocked once')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncpay;help;demo' {
            break
        }
        'asyncpay;help;init' {
            break
        }
        'asyncpay;help;wallet' {
            [CompletionResult]::new('address', 'address', [CompletionResultType]::ParameterValue, 'Show a new receive address')
            [CompletionResult]::new('balance', 'balance', [CompletionResultType]::ParameterValue, 'Show the balance (confirmed, pending, immature)')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)')
            [CompletionResult]::new('transactions', 'transactions', [CompletionResultType]::ParameterValue, 'List wallet transactions, newest first')
            [CompletionResult]::new('utxos', 'utxos', [CompletionResultType]::ParameterValue, 'List unspent outputs')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Show the mnemonic (only on explicit request)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the node id and the storage identity''s public recipient')
            [CompletionResult]::new('set-chain', 'set-chain', [CompletionResultType]::ParameterValue, 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere')
            [CompletionResult]::new('set-min-budget', 'set-min-budget', [CompletionResultType]::ParameterValue, 'Refuse servers whose confirmation budget is below BLOCKS [default: 6; 1 on regtest]')
            [CompletionResult]::new('set-min-depth', 'set-min-depth', [CompletionResultType]::ParameterValue, 'Refuse inbound channels whose server counts its funding as final after fewer than BLOCKS confirmations [default: 3; 1 on regtest]')
            [CompletionResult]::new('move-records', 'move-records', [CompletionResultType]::ParameterValue, 'Move every record of the wallet into a new PostgreSQL schema (TARGET: a database URL, as for `init --database`; no password in it: set PGPASSWORD), or back into records.sqlite (TARGET: sqlite); the old copy is destroyed once the new one is in use')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)')
            break
        }
        'asyncpay;help;wallet;address' {
            break
        }
        'asyncpay;help;wallet;balance' {
            break
        }
        'asyncpay;help;wallet;send' {
            break
        }
        'asyncpay;help;wallet;transactions' {
            break
        }
        'asyncpay;help;wallet;utxos' {
            break
        }
        'asyncpay;help;wallet;backup' {
            break
        }
        'asyncpay;help;wallet;info' {
            break
        }
        'asyncpay;help;wallet;set-chain' {
            break
        }
        'asyncpay;help;wallet;set-min-budget' {
            break
        }
        'asyncpay;help;wallet;set-min-depth' {
            break
        }
        'asyncpay;help;wallet;move-records' {
            break
        }
        'asyncpay;help;wallet;upgrade' {
            break
        }
        'asyncpay;help;passphrase' {
            [CompletionResult]::new('change', 'change', [CompletionResultType]::ParameterValue, 'Change the passphrase (the records need no re-encryption)')
            break
        }
        'asyncpay;help;passphrase;change' {
            break
        }
        'asyncpay;help;regtest' {
            [CompletionResult]::new('mine', 'mine', [CompletionResultType]::ParameterValue, 'Mine N blocks')
            [CompletionResult]::new('fund', 'fund', [CompletionResultType]::ParameterValue, 'Pay AMOUNT to ADDRESS from the faucet and mine it')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the ledger''s tip and mempool')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-validate the stored chain by consensus')
            break
        }
        'asyncpay;help;regtest;mine' {
            break
        }
        'asyncpay;help;regtest;fund' {
            break
        }
        'asyncpay;help;regtest;info' {
            break
        }
        'asyncpay;help;regtest;verify' {
            break
        }
        'asyncpay;help;status' {
            break
        }
        'asyncpay;help;address' {
            break
        }
        'asyncpay;help;decode' {
            break
        }
        'asyncpay;help;pay' {
            break
        }
        'asyncpay;help;receive' {
            break
        }
        'asyncpay;help;claim' {
            break
        }
        'asyncpay;help;sync' {
            break
        }
        'asyncpay;help;payments' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one payment')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a payment is paid or cancelled (syncing with S)')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a pending payment: S refuses any later sale, your balance comes back')
            break
        }
        'asyncpay;help;payments;list' {
            break
        }
        'asyncpay;help;payments;show' {
            break
        }
        'asyncpay;help;payments;wait' {
            break
        }
        'asyncpay;help;payments;cancel' {
            break
        }
        'asyncpay;help;channel' {
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT')
            [CompletionResult]::new('request-inbound', 'request-inbound', [CompletionResultType]::ParameterValue, 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one channel')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Pay the server AMOUNT inside the channel (a new signed state)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close a channel: cooperatively with the server, or on chain alone with --force')
            break
        }
        'asyncpay;help;channel;open' {
            break
        }
        'asyncpay;help;channel;request-inbound' {
            break
        }
        'asyncpay;help;channel;list' {
            break
        }
        'asyncpay;help;channel;show' {
            break
        }
        'asyncpay;help;channel;push' {
            break
        }
        'asyncpay;help;channel;close' {
            break
        }
        'asyncpay;help;server' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Set this wallet up as a server S (channel policy shown to clients)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the server until interrupted (Ctrl-C or SIGTERM)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the server''s settings and channels (closed and abandoned ones with --all)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)')
            [CompletionResult]::new('sales', 'sales', [CompletionResultType]::ParameterValue, 'Sales waiting for the operator of a running `server run --manual`: list, approve')
            break
        }
        'asyncpay;help;server;init' {
            break
        }
        'asyncpay;help;server;run' {
            break
        }
        'asyncpay;help;server;info' {
            break
        }
        'asyncpay;help;server;status' {
            break
        }
        'asyncpay;help;server;sales' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sales waiting for approval')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a queued sale: the payee''s next `asyncpay receive` sells and claims it')
            break
        }
        'asyncpay;help;server;sales;list' {
            break
        }
        'asyncpay;help;server;sales;approve' {
            break
        }
        'asyncpay;help;repl' {
            break
        }
        'asyncpay;help;completions' {
            break
        }
        'asyncpay;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
