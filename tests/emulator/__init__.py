"""Local emulator of the HostUpCloud Console API (FastAPI on uvicorn). See README.md beside this file."""
