CREATE FUNCTION objects_bucket_lower() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.bucket := lower(NEW.bucket);
  RETURN NEW;
END;
$$;
CREATE TRIGGER objects_bucket_lower BEFORE INSERT ON objects
  FOR EACH ROW EXECUTE FUNCTION objects_bucket_lower();
