-- Where the setting that makes sessions read-only comes from.
SELECT setting, source FROM pg_settings WHERE name = 'default_transaction_read_only'
