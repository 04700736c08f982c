from cenat_hub.cli import app

app()
