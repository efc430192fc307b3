; Inno Setup 6 definition of the officer's installer: KHBS-Enroll-Setup-<version>.exe.
; Built by packaging/windows/build.ps1 after PyInstaller made build\dist\khbs\.
; Per user: no administrator rights; the program in %LOCALAPPDATA%\Programs\KHBS Enroll, the
; data (created by the app on first start) in %LOCALAPPDATA%\Dinsos Kalteng\KHBS Enroll, which
; an update or an uninstall never touches (the households in it may not be synced yet).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define SourceDir "..\..\build\dist\khbs"

[Setup]
AppId={{6F0B1E52-5A7C-4C1B-9C3E-2B7D4A1E0C62}
AppName=KHBS Enroll
AppVersion={#AppVersion}
AppPublisher=Dinas Sosial Provinsi Kalimantan Tengah
DefaultDirName={localappdata}\Programs\KHBS Enroll
DefaultGroupName=KHBS Enroll
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
OutputDir=..\..\build\dist
OutputBaseFilename=KHBS-Enroll-Setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
UninstallDisplayIcon={app}\khbs-gui.exe
; An update while the app is open: ask to close it (the store's lock is the app's).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "id"; MessagesFile: "compiler:Languages\Indonesian.isl"
Name: "en"; MessagesFile: "compiler:Default.isl"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; The previous version's libraries go: PyInstaller names change between versions.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{userprograms}\KHBS Enroll"; Filename: "{app}\khbs-gui.exe"; Comment: "Pendaftaran keluarga KHBS"
Name: "{userdesktop}\KHBS Enroll"; Filename: "{app}\khbs-gui.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\khbs-gui.exe"; Description: "{cm:LaunchProgram,KHBS Enroll}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for the data folder: uninstalling keeps the households.
