import sys
from pathlib import Path

# pysim.py (the independent simulator) is imported by name from this folder.
sys.path.insert(0, str(Path(__file__).parent))
