import sys

from cs.main import main

sys.exit(main())
