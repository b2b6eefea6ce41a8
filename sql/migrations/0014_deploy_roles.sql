-- Deploying with two roles (issue 18): the owner runs `paysync db migrate`, every other command
-- runs as a writer role with DML only and checks paysync.schema_migrations before it starts.

-- Views and grant functions are re-created only when their file changed (or a migration ran),
-- so a migrate does not queue behind an analyst's open transaction for nothing.
CREATE TABLE paysync.view_files (
    name        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE paysync.view_files IS 'sha256 of each sql/views file as last applied by `paysync db migrate`';

CREATE TABLE paysync.writer_roles (
    role        text PRIMARY KEY,
    granted_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE paysync.writer_roles IS 'Roles given DML on paysync''s tables by `paysync db grant-writer`; every migrate re-applies their grants so new tables follow';
