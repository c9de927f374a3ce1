-- Marks a built database as a complete template: only now do clones use it.
-- Only a template may be copied while nobody is connected to it; pgmig
-- never connects to it again.
ALTER DATABASE {name} IS_TEMPLATE true
