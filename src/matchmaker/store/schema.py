"""The schema: versioned migrations, each with why it exists.

Each migration runs once, in its own write transaction, recorded in the
``migrations`` table; a Python step (MIGRATION_STEPS) fills what SQL alone
cannot compute inside the same transaction. Applying them is
:mod:`.migrations`' job.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: One schema step: its version and either SQL text (its statements run in order) or a
#: named function given the connection (``def add_x(conn: sqlite3.Connection) -> None``),
#: for a step SQL alone cannot say. A function must only ``conn.execute``: committing
#: is :meth:`Store.migrate`'s job.
MigrationStep = str | Callable[[sqlite3.Connection], None]


# Versioned migrations: each runs once, in its own transaction, recorded in the
# `migrations` table. Apps open the database with migrations at start-up only.
MIGRATIONS: list[tuple[int, MigrationStep]] = [
    (
        1,
        """
        CREATE TABLE companies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_local TEXT,
            country TEXT NOT NULL CHECK (country IN ('LV', 'KR')),
            city TEXT,
            sectors TEXT NOT NULL DEFAULT '[]',
            description TEXT NOT NULL,
            offers TEXT NOT NULL DEFAULT '',
            seeks TEXT NOT NULL DEFAULT '',
            partnership_types TEXT NOT NULL DEFAULT '[]',
            website TEXT,
            employees INTEGER,
            founded INTEGER,
            certifications TEXT NOT NULL DEFAULT '[]',
            source TEXT,
            verified INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        );
        CREATE INDEX companies_country ON companies (country);
        CREATE TABLE vectors (
            company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            field TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            rows INTEGER NOT NULL,
            dim INTEGER NOT NULL,
            data BLOB NOT NULL,
            texts TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (company_id, model_id, field)
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            company_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            at TEXT NOT NULL,
            changed TEXT NOT NULL DEFAULT '[]',
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_company ON audit (company_id, id);
        CREATE TABLE users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta (key, value) VALUES ('revision', '0');
        """,
    ),
    (
        2,
        """
        CREATE TABLE judgements (
            id INTEGER PRIMARY KEY,
            query_company TEXT REFERENCES companies (id),
            query_text TEXT,
            target_country TEXT NOT NULL CHECK (target_country IN ('LV', 'KR')),
            candidate_id TEXT NOT NULL REFERENCES companies (id),
            grade INTEGER NOT NULL CHECK (grade IN (0, 1, 2)),
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            CHECK ((query_company IS NULL) <> (query_text IS NULL))
        );
        CREATE INDEX judgements_query ON judgements (query_company, query_text, target_country);
        """,
    ),
    (
        3,
        # Revocable sessions: a session cookie carries the generation it was issued
        # under; logout, a new password, disabling or removing the user bumps or ends
        # it, so every earlier cookie of that user stops working at once. The lockout
        # columns go: failed logins back off in the web app's rate-limit storage
        # instead (a stored lock let anyone lock out any account).
        """
        ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN disabled_at TEXT;
        ALTER TABLE users DROP COLUMN failed_logins;
        ALTER TABLE users DROP COLUMN locked_until;
        """,
    ),
    (
        5,
        # Web report jobs, so a restart neither loses them nor leaves them "running" forever.
        # `request` is what it takes to run the job again (spec, previous report's pairs);
        # `runner` names the server process that owns it; `starts` counts runs begun.
        """
        CREATE TABLE report_jobs (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            format TEXT NOT NULL,
            request TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('queued', 'preparing', 'ranking', 'writing', 'done', 'failed', 'expired')),
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            path TEXT,
            filename TEXT NOT NULL DEFAULT '',
            runner TEXT,
            starts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX report_jobs_owner ON report_jobs (owner, created_at);
        CREATE INDEX report_jobs_state ON report_jobs (state, finished_at);
        """,
    ),
    (
        6,
        """
        ALTER TABLE companies ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE companies ADD COLUMN partner_roles TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE companies ADD COLUMN markets TEXT NOT NULL DEFAULT '[]';
        """,
    ),
    (
        7,
        # The detected language of description, offers and seeks ({"description": "ko"}),
        # written with the text by _write; rows stored before are filled by migrate().
        """
        ALTER TABLE companies ADD COLUMN languages TEXT NOT NULL DEFAULT '{}';
        """,
    ),
    (
        8,
        # Merged duplicates. The merged profile stays (soft-deleted) and its id redirects to
        # the kept one while the merge stands; `kept_before` and the moved judgement ids are
        # what an undo puts back; `kept_version` is the kept profile's version right after
        # the merge, so an undo never reverts a later edit.
        """
        CREATE TABLE merges (
            id INTEGER PRIMARY KEY,
            kept_id TEXT NOT NULL REFERENCES companies (id),
            merged_id TEXT NOT NULL REFERENCES companies (id),
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            kept_before TEXT NOT NULL,
            kept_version INTEGER NOT NULL,
            judgements TEXT NOT NULL DEFAULT '[]',
            undone_at TEXT,
            undone_by TEXT
        );
        CREATE UNIQUE INDEX merges_standing ON merges (merged_id) WHERE undone_at IS NULL;
        CREATE INDEX merges_kept ON merges (kept_id);
        """,
    ),
    (
        9,
        # Trade missions (matchmaker.mission_store): settings, participants with their
        # availability and cap, must/never-meet wishes (lv, kr), every version of the
        # meeting plan (the plan's history), and an audit log of the other changes.
        """
        CREATE TABLE missions (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            settings TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE mission_participants (
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            company_id TEXT NOT NULL REFERENCES companies (id),
            cap INTEGER,
            unavailable TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (mission_id, company_id)
        );
        CREATE TABLE mission_wishes (
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            lv TEXT NOT NULL REFERENCES companies (id),
            kr TEXT NOT NULL REFERENCES companies (id),
            kind TEXT NOT NULL CHECK (kind IN ('must', 'never')),
            PRIMARY KEY (mission_id, lv, kr)
        );
        CREATE TABLE mission_plans (
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            meetings TEXT NOT NULL,
            stats TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (mission_id, version)
        );
        CREATE TABLE mission_log (
            id INTEGER PRIMARY KEY,
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX mission_log_mission ON mission_log (mission_id, id);
        """,
    ),
    (
        10,
        # The paginated staff list (store.staff_page) at 100k profiles: each sort walks
        # an index in order and stops after one page. `audit.reverts` names the entry a
        # revert undid, so the history can say "reverts #12".
        """
        CREATE INDEX companies_staff_name ON companies (deleted_at, name COLLATE NOCASE, id);
        CREATE INDEX companies_staff_updated ON companies (deleted_at, updated_at, id);
        CREATE INDEX companies_staff_country ON companies
            (deleted_at, country, name COLLATE NOCASE, id);
        ALTER TABLE audit ADD COLUMN reverts INTEGER;
        CREATE VIRTUAL TABLE company_names USING fts5(
            id UNINDEXED, folded, tokenize = 'trigram'
        );
        """,
    ),
    (
        11,
        # The staff list at 100k profiles with every filter (docs/benchmarks.md "Staff list"):
        # - `search_key` (id, names and city folded, see search_key()) replaces the trigram
        #   index of migration 10, whose matches could only be joined back by reading every
        #   one; a LIKE over an index that holds the key reads that index alone.
        # - The three sort indexes of migration 10 are rebuilt to hold every column a
        #   filter tests, so walking one to fill a page, or counting matches, never reads
        #   a row that does not match (rows are ~1 KB; an index entry ~100 bytes).
        # - `company_tags`: one row per sector and role of a profile, with the status columns
        #   a count filters on, kept by triggers whatever writes the companies table (a
        #   LIKE over each row's JSON list read every row). Duplicates in a list are folded
        #   (UNION); a list is rewritten whole when any of its columns changes.
        """
        ALTER TABLE companies ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
        DROP INDEX companies_staff_name;
        DROP INDEX companies_staff_updated;
        DROP INDEX companies_staff_country;
        CREATE INDEX companies_staff_name ON companies
            (deleted_at, name COLLATE NOCASE, id, country, verified, search_key);
        CREATE INDEX companies_staff_updated ON companies
            (deleted_at, updated_at, id, country, verified, search_key);
        CREATE INDEX companies_staff_country ON companies
            (deleted_at, country, name COLLATE NOCASE, id, verified, search_key);
        DROP TABLE company_names;
        CREATE TABLE company_tags (
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            company_id TEXT NOT NULL,
            live INTEGER NOT NULL,
            verified INTEGER NOT NULL,
            country TEXT NOT NULL,
            PRIMARY KEY (field, value, company_id)
        ) WITHOUT ROWID;
        CREATE INDEX company_tags_count ON company_tags (field, value, live, verified, country);
        CREATE INDEX company_tags_company ON company_tags (company_id);
        INSERT INTO company_tags (field, value, company_id, live, verified, country)
            SELECT 'sectors', j.value, c.id, c.deleted_at IS NULL, c.verified, c.country
            FROM companies c, json_each(c.sectors) j
            UNION
            SELECT 'roles', j.value, c.id, c.deleted_at IS NULL, c.verified, c.country
            FROM companies c, json_each(c.roles) j;
        CREATE TRIGGER company_tags_insert AFTER INSERT ON companies BEGIN
            INSERT INTO company_tags (field, value, company_id, live, verified, country)
                SELECT 'sectors', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.sectors)
                UNION
                SELECT 'roles', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.roles);
        END;
        CREATE TRIGGER company_tags_update
            AFTER UPDATE OF sectors, roles, deleted_at, verified, country ON companies BEGIN
            DELETE FROM company_tags WHERE company_id = OLD.id;
            INSERT INTO company_tags (field, value, company_id, live, verified, country)
                SELECT 'sectors', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.sectors)
                UNION
                SELECT 'roles', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.roles);
        END;
        CREATE TRIGGER company_tags_delete AFTER DELETE ON companies BEGIN
            DELETE FROM company_tags WHERE company_id = OLD.id;
        END;
        """,
    ),
    (
        12,
        # Chunked batch reports (store/report_runs.py, docs/reports.md): a run is its request
        # bound to a data revision and a model; its query companies are cut into chunks in a
        # fixed order. A worker claims an open chunk (or one whose lease ran out), writes its
        # ranked rows (`rows`, zlib-compressed JSON) and marks it done, all in the database,
        # so a crash loses at most the chunks in flight and several workers share one run.
        """
        CREATE TABLE report_runs (
            id TEXT PRIMARY KEY,
            request TEXT NOT NULL,
            meta TEXT NOT NULL,
            data_revision INTEGER NOT NULL,
            model_id TEXT NOT NULL,
            chunk_size INTEGER NOT NULL,
            companies INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('ranking', 'written')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE report_chunks (
            run_id TEXT NOT NULL REFERENCES report_runs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            company_ids TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'done')),
            worker TEXT,
            lease_until REAL,
            claims INTEGER NOT NULL DEFAULT 0,
            rows BLOB,
            PRIMARY KEY (run_id, seq)
        );
        CREATE INDEX report_chunks_state ON report_chunks (run_id, state, seq);
        """,
    ),
    (
        14,
        # Therapeutic areas and product types (therapy.py, docs/therapy.md), JSON lists
        # like roles: which of several right-kind partners signs (docs/ranking.md).
        """
        ALTER TABLE companies ADD COLUMN therapeutic_areas TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE companies ADD COLUMN modalities TEXT NOT NULL DEFAULT '[]';
        """,
    ),
    (
        15,
        # What changed since revision N (live_index.py, issue 14): every write to a company
        # row stamps it with the revision its transaction commits as (each write transaction
        # bumps the revision once, after its writes), deletes included (they are soft). A
        # process then applies only the companies changed since its snapshot's revision,
        # whichever process wrote them. Triggers, so no write path can forget it; the
        # inner UPDATE sets only this column, which no trigger watches.
        """
        ALTER TABLE companies ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX companies_changed ON companies (changed_revision);
        CREATE TRIGGER companies_changed_insert AFTER INSERT ON companies BEGIN
            UPDATE companies SET changed_revision =
                (SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'revision')
            WHERE id = NEW.id;
        END;
        CREATE TRIGGER companies_changed_update AFTER UPDATE ON companies
            WHEN NEW.changed_revision = OLD.changed_revision BEGIN
            UPDATE companies SET changed_revision =
                (SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'revision')
            WHERE id = NEW.id;
        END;
        """,
    ),
    (
        16,
        # Migration 15's update trigger fired again on its own UPDATE when a row was written
        # twice in one transaction: the second stamp equals the first, so the "stamp did not
        # change" condition held forever (sqlite-utils turns recursive triggers on) and the
        # write failed with "too many levels of trigger recursion". A row already carrying
        # this transaction's stamp is left alone.
        """
        DROP TRIGGER companies_changed_update;
        CREATE TRIGGER companies_changed_update AFTER UPDATE ON companies
            WHEN NEW.changed_revision = OLD.changed_revision
            AND NEW.changed_revision IS NOT
                (SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'revision')
            BEGIN
            UPDATE companies SET changed_revision =
                (SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'revision')
            WHERE id = NEW.id;
        END;
        """,
    ),
    (
        17,
        # The type-ahead from the database (store/names.py, issue 14): one row per key a
        # company is found by, so a typed prefix is a range of the primary key, read in
        # key order until the type-ahead has its few companies. `live`
        # follows `deleted_at` by trigger; the rows are written with the profile, and
        # filled here for stored ones (MIGRATION_STEPS). No company row is touched, so
        # no change stamp moves and no live index re-applies anything.
        """
        CREATE TABLE name_keys (
            key TEXT NOT NULL,
            company_id TEXT NOT NULL,
            whole INTEGER NOT NULL,
            live INTEGER NOT NULL,
            PRIMARY KEY (key, company_id, whole)
        ) WITHOUT ROWID;
        CREATE INDEX name_keys_company ON name_keys (company_id);
        CREATE TRIGGER name_keys_live AFTER UPDATE OF deleted_at ON companies BEGIN
            UPDATE name_keys SET live = NEW.deleted_at IS NULL WHERE company_id = NEW.id;
        END;
        """,
    ),
    (
        18,
        # Each kind of match walks only its own rows (docs/benchmarks.md, "Finding a company
        # by name", session 13): with the primary key (key, company_id, whole), the start of
        # a later word (whole = 0) passed every whole key of the same prefix row by row, 9.8
        # ms median and 28 ms p95 a keystroke at a million against 0.3-1 ms for the others.
        # Kind first: the same rows in a new order (SQLite cannot change a primary key in
        # place: rename, copy, drop; 34-38 s at a million), no row more on disk, unlike a
        # second index (13 s, +350 MB at a million).
        # (The table made here is the one that stays: a backup is checked for every table
        # a migration creates, by name.)
        """
        DROP TRIGGER name_keys_live;
        ALTER TABLE name_keys RENAME TO name_keys_by_key;
        CREATE TABLE name_keys (
            key TEXT NOT NULL,
            company_id TEXT NOT NULL,
            whole INTEGER NOT NULL,
            live INTEGER NOT NULL,
            PRIMARY KEY (whole, key, company_id)
        ) WITHOUT ROWID;
        INSERT INTO name_keys (key, company_id, whole, live)
            SELECT key, company_id, whole, live FROM name_keys_by_key
            ORDER BY whole, key, company_id;
        DROP TABLE name_keys_by_key;
        CREATE INDEX name_keys_company ON name_keys (company_id);
        CREATE TRIGGER name_keys_live AFTER UPDATE OF deleted_at ON companies BEGIN
            UPDATE name_keys SET live = NEW.deleted_at IS NULL WHERE company_id = NEW.id;
        END;
        """,
    ),
    (
        19,
        # GET /api/companies in pages (store.list_page, keyset paging with ?after=): live
        # rows in id order, after the country when one is asked for, with the search key
        # so the text is tested in the index and only the page's rows are read. Without
        # them a filtered page sorted every live row by id, however deep (20-40 ms at
        # 100,000 for each page of a filtered walk; docs/benchmarks.md "API paging").
        """
        CREATE INDEX companies_live_id ON companies (id, search_key) WHERE deleted_at IS NULL;
        CREATE INDEX companies_live_country ON companies (country, id, search_key)
            WHERE deleted_at IS NULL;
        """,
    ),
]


#: Python steps that complete a migration (filling what SQL alone cannot compute).
#: (Migration 10's step filled the trigram index that migration 11 drops, so it is gone.)
MIGRATION_STEPS: dict[int, str] = {
    7: "_detect_languages_of_stored_rows",
    11: "_fill_search_keys",
    17: "_fill_name_keys",
}
