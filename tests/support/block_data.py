"""What the Block and Session screen tests' PostgreSQL database holds (no tests here): built with
INSERT … SELECT generate_series on MUSCLE's 2026 schema in one psql run (tests/support/block_db.py).

Experiment `browse` holds block `thousand` (1,000 sessions, one an hour from 2025-01-01; every
tenth unfinished; participant 7's participant_id_url is Rich markup, every third none) and block
`empty` (no sessions). Session 7's json_data holds markup and control characters too.
"""

from __future__ import annotations

THOUSAND = "thousand"
EMPTY = "empty"
SESSIONS = 1000
MARKUP_PARTICIPANT = 7
MARKUP_URL = "[bold red]x[/] [link=https://example.org]y[/link]"
MARKUP_JSON_TEXT = "[red]not red[/red]\x1b[2J"

BUILD_SQL = f"""
BEGIN;
INSERT INTO experiment_experiment (id, active, slug, about_content, consent, description, disclaimer,
    name, privacy, social_media_message, replayable)
VALUES (1, true, 'browse', '', '', '', '', 'Browse tests', '', '', false);
INSERT INTO experiment_phase (id, dashboard, randomize, experiment_id, index) VALUES (1, false, false, 1, 0);
INSERT INTO experiment_block (id, slug, rounds, bonus_points, rules, phase_id, index, description, name,
    rules_config)
VALUES (1, '{THOUSAND}', 10, 0, 'RHYTHM_DISCRIMINATION', 1, 0, '', 'A thousand sessions', '{{}}'),
       (2, '{EMPTY}', 10, 0, 'RHYTHM_DISCRIMINATION', 1, 1, '', 'No sessions yet', '{{}}');
INSERT INTO participant_participant (id, unique_hash, country_code, access_info, participant_id_url)
SELECT g, md5(g::text), CASE WHEN g % 4 = 0 THEN 'de' ELSE 'nl' END, 'Mozilla/5.0 (X11; Linux x86_64)',
       CASE WHEN g = {MARKUP_PARTICIPANT} THEN '{MARKUP_URL}'
            WHEN g % 3 = 0 THEN NULL
            ELSE 'P' || lpad(g::text, 4, '0') END
FROM generate_series(1, {SESSIONS}) AS g;
INSERT INTO session_session (id, started_at, finished_at, final_score, block_id, participant_id, json_data)
SELECT g, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 hour',
       CASE WHEN g % 10 = 0 THEN NULL
            ELSE timestamptz '2025-01-01 00:00:00+00' + g * interval '1 hour' + (60 + g % 120) * interval '1 second'
       END,
       (g * 7) % 50, 1, g,
       CASE WHEN g = {MARKUP_PARTICIPANT}
            THEN jsonb_build_object('note', '{MARKUP_JSON_TEXT}'::text, 'plan', jsonb_build_array(3, 1, 2))
            ELSE jsonb_build_object('plan', jsonb_build_array(1, 2, 3)) END
FROM generate_series(1, {SESSIONS}) AS g;
INSERT INTO result_result (id, created_at, question_key, expected_response, given_response, comment, score,
    scoring_rule, section_id, session_id, participant_id, json_data)
SELECT s * 10 + r, timestamptz '2025-01-01 00:00:00+00' + s * interval '1 hour' + r * interval '5 second',
       'same_different', 'SAME', CASE WHEN r % 2 = 0 THEN 'SAME' ELSE 'DIFFERENT' END, '',
       (r % 2 = 0)::int, '', NULL, s, NULL,
       jsonb_build_object('decision_time', 1.5 + r, 'value', 'SAME', 'config', jsonb_build_object('listen_first', true))
FROM generate_series(1, {SESSIONS}) AS s, generate_series(1, 4) AS r
WHERE r <= s % 5;
INSERT INTO result_result (id, created_at, question_key, expected_response, given_response, comment, score,
    scoring_rule, section_id, session_id, participant_id, json_data)
SELECT 100000 + p * 10 + q, timestamptz '2024-12-31 12:00:00+00' + q * interval '1 minute',
       (ARRAY['dgf_generation', 'msi_01_music_activities'])[q], NULL,
       (ARRAY['gen_z', '5'])[q], '', CASE WHEN q = 2 THEN 5 END, '', NULL, NULL, p, NULL
FROM generate_series(1, {SESSIONS}, 7) AS p, generate_series(1, 2) AS q;
INSERT INTO experiment_feedback (id, text, block_id)
VALUES (1, 'Fun!', 1), (2, E'Two lines:\\nfirst [b]not bold[/b]\\nsecond', 1);
COMMIT;
"""
