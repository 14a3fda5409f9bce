# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_asyncpay_global_optspecs
    string join \n datadir= network= chain= json q/quiet passphrase-file= passphrase-fd= identity= wait h/help V/version
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

complete -c asyncpay -n "__fish_asyncpay_needs_command" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -s V -l version -d 'Print version'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "demo" -d 'Walk through the story on a local regtest ledger with three wallets'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "init" -d 'Create a wallet: a new 24-word seed, or restore one with --restore'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "wallet" -d 'On-chain wallet: addresses, balance, sending, history'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "passphrase" -d 'Change the wallet passphrase'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "regtest" -d 'The local regtest ledger: mine blocks, fund addresses, show the tip'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "repl" -d 'Interactive shell: the same commands, unlocked once'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c asyncpay -n "__fish_asyncpay_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l keep -d 'Keep the wallets in DIR (new or empty) for exploring afterwards' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l restore -d 'Restore from an existing mnemonic (read from the terminal, or stdin when piped)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "address" -d 'Show a new receive address'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "balance" -d 'Show the balance (confirmed, pending, immature)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "send" -d 'Send AMOUNT to ADDRESS'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "transactions" -d 'List wallet transactions'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "utxos" -d 'List unspent outputs'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "backup" -d 'Show the mnemonic (only on explicit request)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "info" -d 'Show the node id and the storage identity\'s public recipient'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and not __fish_seen_subcommand_from address balance send transactions utxos backup info help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from address" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from balance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l fee-rate -d 'Fee rate in sat/vB' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from transactions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from utxos" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l force -d 'Print the mnemonic even when stdout is not a terminal'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "address" -d 'Show a new receive address'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "balance" -d 'Show the balance (confirmed, pending, immature)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "send" -d 'Send AMOUNT to ADDRESS'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "transactions" -d 'List wallet transactions'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "utxos" -d 'List unspent outputs'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Show the mnemonic (only on explicit request)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show the node id and the storage identity\'s public recipient'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand wallet; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -f -a "change" -d 'Change the passphrase (the state files need no re-encryption)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and not __fish_seen_subcommand_from change help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l new-passphrase-file -d 'Read the new passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from change" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from help" -f -a "change" -d 'Change the passphrase (the state files need no re-encryption)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand passphrase; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -f -a "mine" -d 'Mine N blocks'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -f -a "fund" -d 'Pay AMOUNT to ADDRESS from the faucet and mine it'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -f -a "info" -d 'Show the ledger\'s tip and mempool'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and not __fish_seen_subcommand_from mine fund info help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l to -d 'Pay the coinbases to ADDRESS [default: the ledger\'s faucet]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from mine" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from fund" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "mine" -d 'Mine N blocks'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "fund" -d 'Pay AMOUNT to ADDRESS from the faucet and mine it'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show the ledger\'s tip and mempool'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand regtest; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand repl" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l datadir -d 'Wallet data directory [default: the platform data dir, per network]' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l network -d 'Bitcoin network (channels need BIP118: regtest or signet)' -r -f -a "regtest\t'Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)'
signet\t'Signet (Bitcoin Inquisition\'s signet has BIP118 active)'
bitcoin\t'Mainnet: on-chain only; channel commands refuse (BIP118 is not active)'"
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l chain -d 'Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL [default: regtest:<platform data dir>/regtest-chain, shared by all your wallets]' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l passphrase-file -d 'Read the wallet passphrase from the first line of FILE' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l passphrase-fd -d 'Read the wallet passphrase from file descriptor N' -r
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l identity -d 'Unlock with a plain age identity file instead of a passphrase' -r -F
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l json -d 'Print one JSON document on stdout instead of text'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -s q -l quiet -d 'Print only the result: no progress, no hints'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -l wait -d 'Wait for another asyncpay process using the wallet instead of failing'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "demo" -d 'Walk through the story on a local regtest ledger with three wallets'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "init" -d 'Create a wallet: a new 24-word seed, or restore one with --restore'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "wallet" -d 'On-chain wallet: addresses, balance, sending, history'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "passphrase" -d 'Change the wallet passphrase'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "regtest" -d 'The local regtest ledger: mine blocks, fund addresses, show the tip'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "repl" -d 'Interactive shell: the same commands, unlocked once'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and not __fish_seen_subcommand_from demo init wallet passphrase regtest repl completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "address" -d 'Show a new receive address'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "balance" -d 'Show the balance (confirmed, pending, immature)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "send" -d 'Send AMOUNT to ADDRESS'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "transactions" -d 'List wallet transactions'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "utxos" -d 'List unspent outputs'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "backup" -d 'Show the mnemonic (only on explicit request)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from wallet" -f -a "info" -d 'Show the node id and the storage identity\'s public recipient'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from passphrase" -f -a "change" -d 'Change the passphrase (the state files need no re-encryption)'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from regtest" -f -a "mine" -d 'Mine N blocks'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from regtest" -f -a "fund" -d 'Pay AMOUNT to ADDRESS from the faucet and mine it'
complete -c asyncpay -n "__fish_asyncpay_using_subcommand help; and __fish_seen_subcommand_from regtest" -f -a "info" -d 'Show the ledger\'s tip and mempool'
