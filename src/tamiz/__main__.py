from tamiz.cli import app

app()
