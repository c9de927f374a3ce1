DO $body$ BEGIN RAISE NOTICE 'x'; END $$;
