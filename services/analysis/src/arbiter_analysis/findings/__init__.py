"""The findings database: its schema, migrations, roles, sample data and access."""
