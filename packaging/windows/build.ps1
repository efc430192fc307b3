# Builds the officer's app for Windows: the PyInstaller folder, its .zip, and the per-user
# installer (Inno Setup 6). Run from the repository root in PowerShell, on Windows 10/11 x64
# with Python 3.11+ (python.org) and Inno Setup 6 (iscc.exe on PATH or in its default folder):
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# Output: build\dist\khbs\ (khbs.exe, khbs-gui.exe), build\dist\khbs-<version>-windows-amd64.zip
# and build\dist\KHBS-Enroll-Setup-<version>.exe.
$ErrorActionPreference = "Stop"
Set-Location (Resolve-Path "$PSScriptRoot\..\..")

if (-not (Test-Path .venv)) { python -m venv .venv }
$py = ".venv\Scripts\python.exe"
& $py -m pip install --quiet --upgrade pip
& $py -m pip install --quiet -e ".[test,dist]"

# Qt translations: compiled from the .ts sources, never committed.
foreach ($lang in "id", "en") {
  & .venv\Scripts\pyside6-lrelease.exe -silent "resources\i18n\khbs_$lang.ts" -qm "resources\i18n\khbs_$lang.qm"
}

$env:PYINSTALLER_CONFIG_DIR = "build\pyinstaller-cache"  # not the user's AppData
& .venv\Scripts\pyinstaller.exe --noconfirm --clean --log-level WARN `
  --distpath build\dist --workpath build\pyinstaller packaging\khbs.spec
& $py packaging\archive.py

# The same smoke test as `make dist-test` on Linux (init, demo-data, status, GUI to unlock), on
# the folder just built.
$env:QT_QPA_PLATFORM = "offscreen"
$env:KHBS_BUNDLE = "build\dist\khbs"
& $py -m pytest -q -m bundle tests\test_bundle.py
Remove-Item Env:QT_QPA_PLATFORM, Env:KHBS_BUNDLE

$version = (& $py -c "import tomllib;print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])").Trim()
$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" packaging\windows\khbs.iss
