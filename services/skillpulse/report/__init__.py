"""The annual KPI report (agreement Art. 8): contract table, charts, manual Annex 2 inputs,
definitions and reproducible commands, as one self-contained HTML file (and PDF).

`annual.write_annual_report` makes the files; `collect` gathers the figures through fetch
callables, `render` turns them into HTML; `sources` says where the figures come from (the
running stack or the store, through `skillpulse.stack_client`)."""
