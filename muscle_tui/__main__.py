from muscle_tui.cli import main

raise SystemExit(main())
