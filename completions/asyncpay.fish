# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_asyncpay_global_optspecs
    string join \n datadir= network= chain= json q/quiet passphrase-file= passphrase-fd= identity= wait-lock config= anchor-fee-rate= server-ca= h/help V/version
end

function __fish_asyncpay_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_asyncpay_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_asyncpay_using_subcommand
    set -l cmd (__fish_asyncpay_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c asyncpay -n "__fish_asyncpay_needs_command" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -s V -l version -d 'Print version'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "demo" -d 'Walk through the story on a local regtest ledger with three wallets'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "init" -d 'Create a wallet: a new 24-word seed, or restore one with --restore'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "wallet" -d 'On-chain wallet: addresses, balance, sending, history'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "passphrase" -d 'Change the wallet passphrase'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "regtest" -d 'The local regtest ledger: mine blocks, fund addresses, show the tip'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "status" -d 'The wallet at a glance: balances, pending payments, channels, servers (only reads)'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "address" -d 'Show this wallet\'s payment address: what payers need to pay it while it is offline'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "decode" -d 'Explain a string: a payment address, an invoice, a node id, a channel id, a bitcoin address or a raw transaction (hex; channel updates and settlements are recognized)'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "pay" -d 'Pay a payment address, even while the payee is offline (asynchronous payment)'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "receive" -d 'Collect payments: fetch update packages, sell them to S, and claim'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "claim" -d 'Claim sold payments: reveal the scalar to S and take the PTLC into your balance'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "sync" -d 'Collect what S holds for your payments: invoices, scalars, signatures; cancel expired ones'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "payments" -d 'Payments sent and received: list, show, wait, cancel'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "channel" -d 'Channels with a server S: open, request inbound capacity, pay S, close'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "server" -d 'Run this wallet as the server S'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "repl" -d 'Interactive shell: the same commands, unlocked once'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l keep -d 'Keep the wallets in DIR (new or empty) for exploring afterwards' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l restore -d 'Restore from an existing mnemonic (read from the terminal, or stdin when piped)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "address" -d 'Show a new receive address'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "balance" -d 'Show the balance (confirmed, pending, immature)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "send" -d 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "transactions" -d 'List wallet transactions, newest first'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "utxos" -d 'List unspent outputs'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "backup" -d 'Show the mnemonic (only on explicit request)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "info" -d 'Show the node id and the storage identity\'s public recipient'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "set-chain" -d 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "upgrade" -d 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info set-chain upgrade help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l fee-rate -d 'Fee rate in sat/vB' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l all -d 'Send every confirmed coin, less the fee: one output, no change (unconfirmed coins stay)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l limit -d 'Show at most N (the newest)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l limit -d 'Show at most N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l force -d 'Print the mnemonic even when stdout is not a terminal'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from set-chain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from upgrade" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "address" -d 'Show a new receive address'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "balance" -d 'Show the balance (confirmed, pending, immature)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "send" -d 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "transactions" -d 'List wallet transactions, newest first'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "utxos" -d 'List unspent outputs'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Show the mnemonic (only on explicit request)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show the node id and the storage identity\'s public recipient'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "set-chain" -d 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "upgrade" -d 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -f -a "change" -d 'Change the passphrase (the records need no re-encryption)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l new-passphrase-file -d 'Read the new passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from help" -f -a "change" -d 'Change the passphrase (the records need no re-encryption)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -f -a "mine" -d 'Mine N blocks'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -f -a "fund" -d 'Pay AMOUNT to ADDRESS from the faucet and mine it'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -f -a "info" -d 'Show the ledger\'s tip and mempool'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -f -a "verify" -d 'Re-validate the stored chain by consensus'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l to -d 'Pay the coinbases to ADDRESS [default: the ledger\'s faucet]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l blocks -d 'Only the last N blocks up to the tip [default: every block, and every row of the UTXO table accounted for]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "mine" -d 'Mine N blocks'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "fund" -d 'Pay AMOUNT to ADDRESS from the faucet and mine it'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show the ledger\'s tip and mempool'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Re-validate the stored chain by consensus'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l server -d 'The server whose mailbox receives payments [default: the server of this wallet\'s first channel]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand address" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l expiry -d 'How long the payee has to collect it: 30s, 10m, 24h, 7d (at most 30d)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l package-out -d 'Write the armored, encrypted update package to FILE instead of posting it to the payee\'s mailbox (give it to the payee yourself)' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l channel -d 'Pay through this channel (its id or a unique prefix) [default: one with enough balance]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l wait -d 'Wait until the payment is paid or cancelled, at most DURATION [default: until it expires]; exit 5 if it is still pending then, exit 1 if it was cancelled or failed' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand pay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l package -d 'Read one armored or binary package from FILE instead of the mailbox' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l no-claim -d 'Sell, but do not claim yet (run `asyncpay claim` later)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand receive" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand claim" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -f -a "list" -d 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -f -a "show" -d 'Show one payment'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -f -a "wait" -d 'Wait until a payment is paid or cancelled (syncing with S)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -f -a "cancel" -d 'Cancel a pending payment: S refuses any later sale, your balance comes back'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and not __fish_seen_subcommand_from list show wait cancel help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l status -d 'Only entries with this status (e.g. pending, paid, open, closed)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N (the most recent)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l all -d 'Also list what is over: closed and abandoned channels, cancelled and failed payments'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l timeout -d 'Give up after this long (exit code 5)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from help" -f -a "list" -d 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one payment'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from help" -f -a "wait" -d 'Wait until a payment is paid or cancelled (syncing with S)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel a pending payment: S refuses any later sale, your balance comes back'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand payments; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -f -a "open" -d 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -f -a "request-inbound" -d 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -f -a "list" -d 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -f -a "show" -d 'Show one channel'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -f -a "push" -d 'Pay the server AMOUNT inside the channel (a new signed state)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -f -a "close" -d 'Close a channel: cooperatively with the server, or on chain alone with --force'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and not __fish_seen_subcommand_from open request-inbound list show push close help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l fee-rate -d 'Fee rate of the funding transaction in sat/vB' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from open" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from request-inbound" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l status -d 'Only entries with this status (e.g. pending, paid, open, closed)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N (the most recent)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l all -d 'Also list what is over: closed and abandoned channels, cancelled and failed payments'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l fee -d 'Fee of the cooperative close transaction, paid from this wallet\'s balance' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l force -d 'Publish the latest state on chain without the server, wait shared_delay blocks, then publish the settlement'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l no-wait -d 'With --force: publish what can be published now and return (exit 5 while the settlement is not yet final) instead of waiting'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from close" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from help" -f -a "open" -d 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from help" -f -a "request-inbound" -d 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from help" -f -a "list" -d 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one channel'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from help" -f -a "push" -d 'Pay the server AMOUNT inside the channel (a new signed state)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from help" -f -a "close" -d 'Close a channel: cooperatively with the server, or on chain alone with --force'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand channel; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -f -a "init" -d 'Set this wallet up as a server S (channel policy shown to clients)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -f -a "run" -d 'Run the server until interrupted (Ctrl-C or SIGTERM)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -f -a "info" -d 'Show the server\'s settings and channels (closed and abandoned ones with --all)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -f -a "status" -d 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -f -a "sales" -d 'Sales waiting for the operator of a running `server run --manual`: list, approve'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and not __fish_seen_subcommand_from init run info status sales help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l listen -d 'Address to listen on' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l shared-delay -d 'Settlement delay in blocks for new channels' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l min-shared-delay -d 'Smallest settlement delay a client may ask for' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l inbound-shared-delay -d 'Settlement delay of channels S funds (where payees receive); client-funded channels need at least this + 5 x budget + 4' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l confirmation-budget -d 'Blocks S allows a time-critical transaction to confirm in (sets PTLC expiries)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l max-capacity -d 'Largest channel capacity' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l dust-limit -d 'Dust limit of settlement outputs' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l min-confirmations -d 'Confirmations before a channel is usable' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l fee-ppm -d 'S\'s fee for a payment, parts per million' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l inbound -d 'Whom S funds inbound channels for: stake (nodes with their own open channel, up to --inbound-stake-pct of it, and the allow-list), allow-list, or anyone (Sybil-prone: demos and tests)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l inbound-allow -d 'A node S funds inbound channels for whatever the policy (repeat for more)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l inbound-stake-pct -d 'Inbound capacity per node, in percent of what it funds itself (policy stake)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l max-inbound -d 'Total capacity of all channels S funds' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l max-unfunded-per-node -d 'Channels a node may have open but not funded yet' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l open-expiry-blocks -d 'Blocks after which an open whose funding S has not seen confirmed is forgotten' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l idle-inbound-blocks -d 'Blocks after which S closes a channel it funded that nothing was paid into since its funding or the last payment (0: never)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l inbound-notice-blocks -d 'Blocks of notice before S closes inbound channels a node\'s live stake no longer covers (policy stake)' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l no-inbound -d 'Do not fund channels for clients'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l listen -d 'Address to listen on [default: the one from `server init`]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l tls-cert -d 'HTTPS certificate chain (PEM); needs --tls-key' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l tls-key -d 'HTTPS private key (PEM)' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l watch-interval-ms -d 'Milliseconds between two passes of the chain watcher' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l manual -d 'Queue each sale until the operator approves it (`asyncpay server sales approve`)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Log more on stderr: request body sizes and the watcher\'s passes (`--quiet`: only warnings and errors)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l all -d 'Also list closed and abandoned channels'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l server -d 'URL of the running `server run` [default: http:// and the listen address from `server init`]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -f -a "list" -d 'List the sales waiting for approval'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -f -a "approve" -d 'Approve a queued sale: the payee\'s next `asyncpay receive` sells and claims it'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from sales" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "init" -d 'Set this wallet up as a server S (channel policy shown to clients)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the server until interrupted (Ctrl-C or SIGTERM)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show the server\'s settings and channels (closed and abandoned ones with --all)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "status" -d 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "sales" -d 'Sales waiting for the operator of a running `server run --manual`: list, approve'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l datadir -d 'Wallet data directory [default: the config file\'s datadir, else the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet\'s, else the config file\'s, else regtest]' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init` remembers it in the wallet [default: the wallet\'s, else the config file\'s, else regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l config -d 'Config file of defaults (TOML) [default: config.toml in the platform config dir]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l anchor-fee-rate -d 'Fee rate in sat/vB of the children that pay for channel transactions through their anchors (force closes, settlements, PTLC claims, rebinding, fee bumps) [default: the node\'s estimate, 2 sat/vB without one]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l server-ca -d 'Trust this CA certificate (PEM) for an https server, e.g. a self-signed S' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l wait-lock -d 'Wait for another asyncpay process holding the wallet instead of failing (commands that only read never wait)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "demo" -d 'Walk through the story on a local regtest ledger with three wallets'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "init" -d 'Create a wallet: a new 24-word seed, or restore one with --restore'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "wallet" -d 'On-chain wallet: addresses, balance, sending, history'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "passphrase" -d 'Change the wallet passphrase'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "regtest" -d 'The local regtest ledger: mine blocks, fund addresses, show the tip'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "status" -d 'The wallet at a glance: balances, pending payments, channels, servers (only reads)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "address" -d 'Show this wallet\'s payment address: what payers need to pay it while it is offline'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "decode" -d 'Explain a string: a payment address, an invoice, a node id, a channel id, a bitcoin address or a raw transaction (hex; channel updates and settlements are recognized)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "pay" -d 'Pay a payment address, even while the payee is offline (asynchronous payment)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "receive" -d 'Collect payments: fetch update packages, sell them to S, and claim'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "claim" -d 'Claim sold payments: reveal the scalar to S and take the PTLC into your balance'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "sync" -d 'Collect what S holds for your payments: invoices, scalars, signatures; cancel expired ones'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "payments" -d 'Payments sent and received: list, show, wait, cancel'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "channel" -d 'Channels with a server S: open, request inbound capacity, pay S, close'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "server" -d 'Run this wallet as the server S'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "repl" -d 'Interactive shell: the same commands, unlocked once'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest status address decode pay receive claim sync payments channel server repl completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "address" -d 'Show a new receive address'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "balance" -d 'Show the balance (confirmed, pending, immature)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "send" -d 'Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "transactions" -d 'List wallet transactions, newest first'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "utxos" -d 'List unspent outputs'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "backup" -d 'Show the mnemonic (only on explicit request)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "info" -d 'Show the node id and the storage identity\'s public recipient'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "set-chain" -d 'Switch the wallet to another chain source for good (the one `init` remembered is used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "upgrade" -d 'Move the state files an older asyncpay wrote in this data dir into records.sqlite, vouching for files written before record authentication (once, after upgrading; only for a data dir you trust)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from passphrase" -f -a "change" -d 'Change the passphrase (the records need no re-encryption)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from regtest" -f -a "mine" -d 'Mine N blocks'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from regtest" -f -a "fund" -d 'Pay AMOUNT to ADDRESS from the faucet and mine it'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from regtest" -f -a "info" -d 'Show the ledger\'s tip and mempool'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from regtest" -f -a "verify" -d 'Re-validate the stored chain by consensus'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from payments" -f -a "list" -d 'List payments sent and received, oldest first; cancelled and failed ones only with --all or --status'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from payments" -f -a "show" -d 'Show one payment'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from payments" -f -a "wait" -d 'Wait until a payment is paid or cancelled (syncing with S)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from payments" -f -a "cancel" -d 'Cancel a pending payment: S refuses any later sale, your balance comes back'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from channel" -f -a "open" -d 'Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from channel" -f -a "request-inbound" -d 'Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound capacity, so this wallet can be paid)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from channel" -f -a "list" -d 'List channels (and update their confirmations from the chain); closed and abandoned ones only with --all or --status'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from channel" -f -a "show" -d 'Show one channel'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from channel" -f -a "push" -d 'Pay the server AMOUNT inside the channel (a new signed state)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from channel" -f -a "close" -d 'Close a channel: cooperatively with the server, or on chain alone with --force'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "init" -d 'Set this wallet up as a server S (channel policy shown to clients)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "run" -d 'Run the server until interrupted (Ctrl-C or SIGTERM)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "info" -d 'Show the server\'s settings and channels (closed and abandoned ones with --all)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "status" -d 'Ask the running `server run` how it is: uptime, chain tip, watcher, channels, balances, payments, mailbox, queued sales (works while it runs; signed as S)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "sales" -d 'Sales waiting for the operator of a running `server run --manual`: list, approve'
