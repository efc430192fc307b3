<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>CameraDialog</name>
    <message>
        <location filename="../../app/gui/views/camera.py" line="64"/>
        <source>Take a photo with the camera</source>
        <translation>Take a photo with the camera</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="71"/>
        <source>Camera preview</source>
        <translation>Camera preview</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="83"/>
        <source>&amp;Take photo</source>
        <translation>&amp;Take photo</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="84"/>
        <source>Space or Enter</source>
        <translation>Space or Enter</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="85"/>
        <source>&amp;Retake</source>
        <translation>&amp;Retake</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="86"/>
        <source>&amp;Use photo</source>
        <translation>&amp;Use photo</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="87"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="128"/>
        <source>Is the photo sharp? Use it, or retake.</source>
        <translation>Is the photo sharp? Use it, or retake.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="137"/>
        <source>Aim at the dwelling&apos;s front or the KK, then take the photo.</source>
        <translation>Aim at the dwelling&apos;s front or the KK, then take the photo.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="140"/>
        <source>Waiting for the camera…</source>
        <translation>Waiting for the camera…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="161"/>
        <source>The camera could not be opened. Choose a photo file instead.</source>
        <translation>The camera could not be opened. Choose a photo file instead.</translation>
    </message>
</context>
<context>
    <name>EnrollDialog</name>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="26"/>
        <source>Enroll with the province</source>
        <translation>Enroll with the province</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="28"/>
        <source>Type the server address and the one-time code the province gave you.</source>
        <translation>Type the server address and the one-time code the province gave you.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="33"/>
        <source>Server address</source>
        <translation>Server address</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="35"/>
        <source>Enrollment code</source>
        <translation>Enrollment code</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="36"/>
        <source>Server &amp;address:</source>
        <translation>Server &amp;address:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="38"/>
        <source>One-time &amp;code:</source>
        <translation>One-time &amp;code:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="48"/>
        <source>&amp;Enroll</source>
        <translation>&amp;Enroll</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="50"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="76"/>
        <source>Type both the server address and the code.</source>
        <translation>Type both the server address and the code.</translation>
    </message>
</context>
<context>
    <name>EvidenceController</name>
    <message>
        <location filename="../../app/gui/evidence.py" line="310"/>
        <source>Attach a photo of the thumbprint, or write a witness&apos;s name.</source>
        <translation>Attach a photo of the thumbprint, or write a witness&apos;s name.</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <location filename="../../app/gui/views/export.py" line="40"/>
        <source>Export CSV</source>
        <translation>Export CSV</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="42"/>
        <location filename="../../app/gui/views/export.py" line="141"/>
        <source>Export folder</source>
        <translation>Export folder</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="43"/>
        <source>&amp;Choose...</source>
        <translation>&amp;Choose...</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="44"/>
        <source>&amp;Folder:</source>
        <translation>&amp;Folder:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="47"/>
        <source>All</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="50"/>
        <source>S&amp;tatus:</source>
        <translation>S&amp;tatus:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="53"/>
        <source>All villages</source>
        <translation>All villages</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="56"/>
        <source>&amp;Village:</source>
        <translation>&amp;Village:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="62"/>
        <source>&amp;Label language:</source>
        <translation>&amp;Label language:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="65"/>
        <source>&amp;Mask NIK and KK numbers (region and last digits only)</source>
        <translation>&amp;Mask NIK and KK numbers (region and last digits only)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="67"/>
        <source>Leave out &amp;health answers</source>
        <translation>Leave out &amp;health answers</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="68"/>
        <source>E&amp;xcel (Indonesia): semicolon separator</source>
        <translation>E&amp;xcel (Indonesia): semicolon separator</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="73"/>
        <source>The files hold personal data in plain text, not encrypted. Keep them only somewhere safe and delete them after use.</source>
        <translation>The files hold personal data in plain text, not encrypted. Keep them only somewhere safe and delete them after use.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="78"/>
        <source>Export progress</source>
        <translation>Export progress</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="83"/>
        <source>&amp;Export</source>
        <translation>&amp;Export</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="86"/>
        <location filename="../../app/gui/views/export.py" line="200"/>
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="150"/>
        <source>Choose a folder for the files.</source>
        <translation>Choose a folder for the files.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="175"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="188"/>
        <source>%1 of %2 households</source>
        <translation>%1 of %2 households</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="193"/>
        <source>Cancelling...</source>
        <translation>Cancelling...</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="212"/>
        <source>Export cancelled. No files were written.</source>
        <translation>Export cancelled. No files were written.</translation>
    </message>
</context>
<context>
    <name>FirstRunPage</name>
    <message>
        <location filename="../../app/gui/passphrase.py" line="9"/>
        <source>Too short: use at least 10 characters.</source>
        <translation>Too short: use at least 10 characters.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="10"/>
        <source>Weak: add more words or characters.</source>
        <translation>Weak: add more words or characters.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="11"/>
        <source>Fair: a few more words make it strong.</source>
        <translation>Fair: a few more words make it strong.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="12"/>
        <source>Good.</source>
        <translation>Good.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="13"/>
        <source>Strong.</source>
        <translation>Strong.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="100"/>
        <source>Welcome to KHBS Enroll</source>
        <translation>Welcome to KHBS Enroll</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="101"/>
        <source>&amp;Language:</source>
        <translation>&amp;Language:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="102"/>
        <source>New &amp;passphrase:</source>
        <translation>New &amp;passphrase:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="103"/>
        <source>&amp;Repeat passphrase:</source>
        <translation>&amp;Repeat passphrase:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="104"/>
        <source>New passphrase</source>
        <translation>New passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="105"/>
        <source>Repeat passphrase</source>
        <translation>Repeat passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="106"/>
        <source>Work &amp;offline now, enroll with the province later</source>
        <translation>Work &amp;offline now, enroll with the province later</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="107"/>
        <source>&amp;Training mode with demo households (never sent)</source>
        <translation>&amp;Training mode with demo households (never sent)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="108"/>
        <source>&amp;Enroll with the province (server address and one-time code)</source>
        <translation>&amp;Enroll with the province (server address and one-time code)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="111"/>
        <source>Remember this passphrase. Until this laptop is enrolled with the province, a forgotten passphrase cannot be recovered and the data on it is lost.</source>
        <translation>Remember this passphrase. Until this laptop is enrolled with the province, a forgotten passphrase cannot be recovered and the data on it is lost.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="115"/>
        <source>&amp;Start</source>
        <translation>&amp;Start</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/first_run.py" line="133"/>
        <source>The passphrase needs at least %n characters.</source>
        <translation>
            <numerusform>The passphrase needs at least %n character.</numerusform>
            <numerusform>The passphrase needs at least %n characters.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="137"/>
        <source>The two passphrases differ.</source>
        <translation>The two passphrases differ.</translation>
    </message>
</context>
<context>
    <name>Form</name>
    <message>
        <location filename="../../app/gui/form/text.py" line="16"/>
        <source>— choose —</source>
        <translation>— choose —</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="17"/>
        <source>Yes</source>
        <translation>Yes</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="18"/>
        <source>No</source>
        <translation>No</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="19"/>
        <source>Error:</source>
        <translation>Error:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="20"/>
        <source>Warning:</source>
        <translation>Warning:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="21"/>
        <source>Identity</source>
        <translation>Identity</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="22"/>
        <source>No errors or warnings.</source>
        <translation>No errors or warnings.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="23"/>
        <source>Sections</source>
        <translation>Sections</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="24"/>
        <source>List of errors and warnings</source>
        <translation>List of errors and warnings</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="25"/>
        <source>&amp;Add member</source>
        <translation>&amp;Add member</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="26"/>
        <source>&amp;Edit</source>
        <translation>&amp;Edit</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="27"/>
        <source>&amp;Remove</source>
        <translation>&amp;Remove</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="28"/>
        <source>Remove member</source>
        <translation>Remove member</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="29"/>
        <source>Remove member {n} ({name}) from the list?</source>
        <translation>Remove member {n} ({name}) from the list?</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="30"/>
        <source>Member {n}</source>
        <translation>Member {n}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="31"/>
        <source>Family member list</source>
        <translation>Family member list</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="32"/>
        <source>Check</source>
        <translation>Check</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="33"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="34"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="35"/>
        <source>Date of birth and sex were filled in from the NIK. Check and correct if needed.</source>
        <translation>Date of birth and sex were filled in from the NIK. Check and correct if needed.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="38"/>
        <source>Date of birth was filled in from the NIK. Check and correct if needed.</source>
        <translation>Date of birth was filled in from the NIK. Check and correct if needed.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="41"/>
        <source>Sex was filled in from the NIK. Check and correct if needed.</source>
        <translation>Sex was filled in from the NIK. Check and correct if needed.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="44"/>
        <source>Notice (read aloud in full)</source>
        <translation>Notice (read aloud in full)</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="45"/>
        <source>Notice version: {version}</source>
        <translation>Notice version: {version}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="46"/>
        <source>DD-MM-YYYY</source>
        <translation>DD-MM-YYYY</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="47"/>
        <source>Type the codes, e.g. 1 4</source>
        <translation>Type the codes, e.g. 1 4</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="48"/>
        <source>Type the village name or code</source>
        <translation>Type the village name or code</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="49"/>
        <source>{field}, {part}</source>
        <translation>{field}, {part}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="51"/>
        <source>Choose photo…</source>
        <translation>Choose photo…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="52"/>
        <source>Sign…</source>
        <translation>Sign…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="53"/>
        <source>Camera…</source>
        <translation>Camera…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="54"/>
        <source>Take the photo with this laptop&apos;s camera</source>
        <translation>Take the photo with this laptop&apos;s camera</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="55"/>
        <source>No camera found on this laptop</source>
        <translation>No camera found on this laptop</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="56"/>
        <source>Remove</source>
        <translation>Remove</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="57"/>
        <source>None yet</source>
        <translation>None yet</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="58"/>
        <source>Preparing…</source>
        <translation>Preparing…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="59"/>
        <source>Attached, {kb} KB, encrypted</source>
        <translation>Attached, {kb} KB, encrypted</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="60"/>
        <source>Attached, {kb} KB, encrypted; taken {when}</source>
        <translation>Attached, {kb} KB, encrypted; taken {when}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="61"/>
        <source>From dwelling photo</source>
        <translation>From dwelling photo</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="62"/>
        <source>From this laptop</source>
        <translation>From this laptop</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="63"/>
        <source>Source: {source}</source>
        <translation>Source: {source}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="64"/>
        <source>Waiting for a position…</source>
        <translation>Waiting for a position…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/comments.py" line="23"/>
        <source>Supervisor&apos;s comment:</source>
        <translation>Supervisor&apos;s comment:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/comments.py" line="24"/>
        <source>Supervisor&apos;s comments: {n}</source>
        <translation>Supervisor&apos;s comments: {n}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/comments.py" line="25"/>
        <source>Comments: {n}</source>
        <translation>Comments: {n}</translation>
    </message>
</context>
<context>
    <name>HouseholdPage</name>
    <message>
        <location filename="../../app/gui/views/household.py" line="106"/>
        <source>Visit %1 · started %2 · %3 min</source>
        <translation>Visit %1 · started %2 · %3 min</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="38"/>
        <source>&amp;Save</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="32"/>
        <source>Family</source>
        <translation>Family</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="39"/>
        <source>&amp;Finalise</source>
        <translation>&amp;Finalise</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="40"/>
        <source>&amp;Back to list</source>
        <translation>&amp;Back to list</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="85"/>
        <source>Family: %1</source>
        <translation>Family: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="87"/>
        <source>New family</source>
        <translation>New family</translation>
    </message>
</context>
<context>
    <name>HouseholdTableModel</name>
    <message>
        <location filename="../../app/gui/models.py" line="51"/>
        <source>To verify</source>
        <translation>To verify</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="52"/>
        <source>To revisit</source>
        <translation>To revisit</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="60"/>
        <source>Today</source>
        <translation>Today</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="64"/>
        <source>Interviewed</source>
        <translation>Interviewed</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="65"/>
        <source>Partly</source>
        <translation>Partly</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="66"/>
        <source>Refused</source>
        <translation>Refused</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="67"/>
        <source>Nobody home</source>
        <translation>Nobody home</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="68"/>
        <source>Moved</source>
        <translation>Moved</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="69"/>
        <source>Not found</source>
        <translation>Not found</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="70"/>
        <source>No longer exists</source>
        <translation>No longer exists</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="71"/>
        <source>Dwelling empty</source>
        <translation>Dwelling empty</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="73"/>
        <source>%1 (member)</source>
        <translation>%1 (member)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="75"/>
        <location filename="../../app/gui/models.py" line="76"/>
        <source>Not sent</source>
        <translation>Not sent</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="86"/>
        <source>RT/RW</source>
        <translation>RT/RW</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="87"/>
        <source>Address</source>
        <translation>Address</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="88"/>
        <source>Members</source>
        <translation>Members</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="89"/>
        <source>Outcome</source>
        <translation>Outcome</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="90"/>
        <source>Next visit</source>
        <translation>Next visit</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="98"/>
        <source>Nobody home: come back on %1</source>
        <translation>Nobody home: come back on %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="103"/>
        <source>changed by province</source>
        <translation>changed by province</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="109"/>
        <source>moved to another officer</source>
        <translation>moved to another officer</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="53"/>
        <source>Draft</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="54"/>
        <source>Final</source>
        <translation>Final</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="55"/>
        <source>Synced</source>
        <translation>Synced</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="56"/>
        <source>Needs attention</source>
        <translation>Needs attention</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="57"/>
        <source>Needs correction</source>
        <translation>Needs correction</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="58"/>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="77"/>
        <source>Waiting to send</source>
        <translation>Waiting to send</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="78"/>
        <source>Sent</source>
        <translation>Sent</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="79"/>
        <source>Won&apos;t be sent (training)</source>
        <translation>Won&apos;t be sent (training)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="80"/>
        <source>Stub only</source>
        <translation>Stub only</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="83"/>
        <source>KK number</source>
        <translation>KK number</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="84"/>
        <source>Head of family</source>
        <translation>Head of family</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="85"/>
        <source>Village</source>
        <translation>Village</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="91"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="92"/>
        <source>Sync</source>
        <translation>Sync</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="93"/>
        <source>Card number</source>
        <translation>Card number</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="94"/>
        <source>Last change</source>
        <translation>Last change</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="96"/>
        <source>(damaged, cannot open)</source>
        <translation>(damaged, cannot open)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="99"/>
        <source>Province:</source>
        <translation>Province:</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="101"/>
        <source>duplicate in province</source>
        <translation>duplicate in province</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="104"/>
        <source>The province changed this household after you started: open it to choose, answer by answer, which version to keep.</source>
        <translation>The province changed this household after you started: open it to choose, answer by answer, which version to keep.</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="110"/>
        <source>This village now belongs to another officer. Finalise the household and sync: it leaves this laptop once the province has it.</source>
        <translation>This village now belongs to another officer. Finalise the household and sync: it leaves this laptop once the province has it.</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="116"/>
        <source>Returned by the supervisor for correction: open it to see the comments at their questions, correct, finalise and sync again.</source>
        <translation>Returned by the supervisor for correction: open it to see the comments at their questions, correct, finalise and sync again.</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="123"/>
        <source>duplicate case open</source>
        <translation>duplicate case open</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="124"/>
        <source>duplicate case: kept here</source>
        <translation>duplicate case: kept here</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="125"/>
        <source>duplicate case: kept elsewhere</source>
        <translation>duplicate case: kept elsewhere</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="126"/>
        <source>duplicate case: not a duplicate</source>
        <translation>duplicate case: not a duplicate</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="129"/>
        <source>Province: NIK also in another household in the province</source>
        <translation>Province: NIK also in another household in the province</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="132"/>
        <source>Province: KK number also in another household in the province</source>
        <translation>Province: KK number also in another household in the province</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="406"/>
        <source>Draft saved</source>
        <translation>Draft saved</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/main_window.py" line="412"/>
        <source>Not final yet: %n error(s) to fix</source>
        <translation>
            <numerusform>Not final yet: %n error to fix</numerusform>
            <numerusform>Not final yet: %n errors to fix</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="430"/>
        <source>These warnings are still open:</source>
        <translation>These warnings are still open:</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="434"/>
        <source>Finalise anyway?</source>
        <translation>Finalise anyway?</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="442"/>
        <source>Finalised: waiting to be sent</source>
        <translation>Finalised: waiting to be sent</translation>
    </message>
</context>
<context>
    <name>PhotoPicker</name>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="31"/>
        <source>Choose a photo</source>
        <translation>Choose a photo</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="34"/>
        <source>&amp;Folder…</source>
        <translation>&amp;Folder…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="42"/>
        <source>Photos in the folder</source>
        <translation>Photos in the folder</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="48"/>
        <source>&amp;Choose</source>
        <translation>&amp;Choose</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="49"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="53"/>
        <source>Folder:</source>
        <translation>Folder:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="63"/>
        <source>Folder with photos</source>
        <translation>Folder with photos</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="71"/>
        <source>Reading photos…</source>
        <translation>Reading photos…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/photo_picker.py" line="85"/>
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n photo</numerusform>
            <numerusform>%n photos</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="85"/>
        <source>No photos here</source>
        <translation>No photos here</translation>
    </message>
</context>
<context>
    <name>ProvinceChangeDialog</name>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="30"/>
        <source>The province changed this household</source>
        <translation>The province changed this household</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="34"/>
        <source>The province sent a newer version of this household after you started on it. Nothing was overwritten. For each answer below, choose the version to keep.</source>
        <translation>The province sent a newer version of this household after you started on it. Nothing was overwritten. For each answer below, choose the version to keep.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="42"/>
        <source>Question</source>
        <translation>Question</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="42"/>
        <source>Your version</source>
        <translation>Your version</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="42"/>
        <source>Province&apos;s version</source>
        <translation>Province&apos;s version</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="52"/>
        <source>Keep yours: %1</source>
        <translation>Keep yours: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="53"/>
        <source>Take the province&apos;s: %1</source>
        <translation>Take the province&apos;s: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="73"/>
        <source>Keep all &amp;yours</source>
        <translation>Keep all &amp;yours</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="74"/>
        <source>Take all the &amp;province&apos;s</source>
        <translation>Take all the &amp;province&apos;s</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="79"/>
        <source>&amp;Save my choices</source>
        <translation>&amp;Save my choices</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="80"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="117"/>
        <source>Member %1 (whole member)</source>
        <translation>Member %1 (whole member)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="125"/>
        <source>(empty)</source>
        <translation>(empty)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="125"/>
        <source>(not in this version)</source>
        <translation>(not in this version)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="135"/>
        <source>(none)</source>
        <translation>(none)</translation>
    </message>
</context>
<context>
    <name>RecoverDialog</name>
    <message>
        <location filename="../../app/gui/views/recover.py" line="26"/>
        <source>Forgotten passphrase</source>
        <translation>Forgotten passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="29"/>
        <source>Call the province administrator and read them this laptop&apos;s store id. They give you a recovery code. Nothing stored on this laptop is lost.</source>
        <translation>Call the province administrator and read them this laptop&apos;s store id. They give you a recovery code. Nothing stored on this laptop is lost.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="50"/>
        <source>Set passphrase</source>
        <translation>Set passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="53"/>
        <source>Store id:</source>
        <translation>Store id:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="54"/>
        <source>&amp;Recovery code:</source>
        <translation>&amp;Recovery code:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="55"/>
        <source>&amp;New passphrase:</source>
        <translation>&amp;New passphrase:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="56"/>
        <source>Re&amp;peat it:</source>
        <translation>Re&amp;peat it:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="58"/>
        <source>Recovery code</source>
        <translation>Recovery code</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="59"/>
        <source>New passphrase</source>
        <translation>New passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="60"/>
        <source>Repeat the new passphrase</source>
        <translation>Repeat the new passphrase</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/recover.py" line="79"/>
        <source>The new passphrase needs at least %n characters.</source>
        <translation>
            <numerusform>The new passphrase needs at least %n character.</numerusform>
            <numerusform>The new passphrase needs at least %n characters.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="82"/>
        <source>The two passphrases differ.</source>
        <translation>The two passphrases differ.</translation>
    </message>
</context>
<context>
    <name>ReviewHistoryDialog</name>
    <message>
        <location filename="../../app/gui/views/review.py" line="245"/>
        <location filename="../../app/gui/views/review.py" line="248"/>
        <source>Review history</source>
        <translation>Review history</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="252"/>
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="262"/>
        <source>Round %1: returned for correction</source>
        <translation>Round %1: returned for correction</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="264"/>
        <source>Returned for correction</source>
        <translation>Returned for correction</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="267"/>
        <source>Verified</source>
        <translation>Verified</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="268"/>
        <source>Rejected</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="273"/>
        <source>No decisions yet.</source>
        <translation>No decisions yet.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="277"/>
        <source>(damaged, cannot be opened)</source>
        <translation>(damaged, cannot be opened)</translation>
    </message>
</context>
<context>
    <name>ReviewPanel</name>
    <message>
        <location filename="../../app/gui/views/review.py" line="91"/>
        <source>Supervisor&apos;s comments</source>
        <translation>Supervisor&apos;s comments</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="92"/>
        <source>Enter: go to the question (Ctrl+K: here)</source>
        <translation>Enter: go to the question (Ctrl+K: here)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="98"/>
        <source>Every decision on this household (Ctrl+H)</source>
        <translation>Every decision on this household (Ctrl+H)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/review.py" line="152"/>
        <source>Checked by the province: %n decision(s)</source>
        <translation>
            <numerusform>Checked by the province: %n decision</numerusform>
            <numerusform>Checked by the province: %n decisions</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="175"/>
        <source>Review history (%1)…</source>
        <translation>Review history (%1)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="184"/>
        <source>The household as a whole</source>
        <translation>The household as a whole</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="207"/>
        <source>Returned by the supervisor for correction (round %1, %2)</source>
        <translation>Returned by the supervisor for correction (round %1, %2)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="211"/>
        <source>Returned by the supervisor for correction (%1)</source>
        <translation>Returned by the supervisor for correction (%1)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="216"/>
        <location filename="../../app/gui/views/review.py" line="237"/>
        <source>Reason: %1</source>
        <translation>Reason: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="218"/>
        <source>Note: %1</source>
        <translation>Note: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="220"/>
        <source>Correct what each comment says (Ctrl+K), then finalise again.</source>
        <translation>Correct what each comment says (Ctrl+K), then finalise again.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="224"/>
        <source>NIK</source>
        <translation>NIK</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="224"/>
        <source>KK number</source>
        <translation>KK number</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="227"/>
        <source>Duplicate case (%1) open at the province: waiting for the regency&apos;s decision.</source>
        <translation>Duplicate case (%1) open at the province: waiting for the regency&apos;s decision.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="229"/>
        <source>Duplicate case (%1) decided: this household keeps it.</source>
        <translation>Duplicate case (%1) decided: this household keeps it.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="231"/>
        <source>Duplicate case (%1) decided: the other household keeps it. Check this household&apos;s members.</source>
        <translation>Duplicate case (%1) decided: the other household keeps it. Check this household&apos;s members.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="234"/>
        <source>Duplicate case (%1) decided: not a duplicate.</source>
        <translation>Duplicate case (%1) decided: not a duplicate.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../app/gui/views/settings.py" line="23"/>
        <source>Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="28"/>
        <source>&amp;Language:</source>
        <translation>&amp;Language:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="33"/>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="34"/>
        <source>Minutes without input before the app locks</source>
        <translation>Minutes without input before the app locks</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="35"/>
        <source>Lock &amp;after:</source>
        <translation>Lock &amp;after:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="37"/>
        <source>Without keyboard or mouse input, the app locks itself.</source>
        <translation>Without keyboard or mouse input, the app locks itself.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="39"/>
        <source>Send to the province automatically when &amp;connected</source>
        <translation>Send to the province automatically when &amp;connected</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="43"/>
        <source>A new language applies to the list now and to a family form when it is opened.</source>
        <translation>A new language applies to the list now and to a family form when it is opened.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="50"/>
        <source>&amp;Save</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="51"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>SignatureDialog</name>
    <message>
        <location filename="../../app/gui/views/signature.py" line="95"/>
        <source>Consent signature</source>
        <translation>Consent signature</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="97"/>
        <source>Signature pad</source>
        <translation>Signature pad</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="100"/>
        <source>After the notice (version %1) was read aloud, the person giving consent signs here with the mouse, touchpad or pen.</source>
        <translation>After the notice (version %1) was read aloud, the person giving consent signs here with the mouse, touchpad or pen.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="105"/>
        <source>C&amp;lear</source>
        <translation>C&amp;lear</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="107"/>
        <source>&amp;Cannot sign</source>
        <translation>&amp;Cannot sign</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="109"/>
        <source>Then attach a photo of a thumbprint, or name a witness, in the form.</source>
        <translation>Then attach a photo of a thumbprint, or name a witness, in the form.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="118"/>
        <source>&amp;Attach</source>
        <translation>&amp;Attach</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="119"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>UnlockPage</name>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="24"/>
        <source>KHBS Enroll is locked</source>
        <translation>KHBS Enroll is locked</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="26"/>
        <source>&amp;Passphrase:</source>
        <translation>&amp;Passphrase:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="29"/>
        <source>Passphrase</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="31"/>
        <source>&amp;Unlock</source>
        <translation>&amp;Unlock</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="37"/>
        <source>&amp;Forgot the passphrase?</source>
        <translation>&amp;Forgot the passphrase?</translation>
    </message>
</context>
<context>
    <name>WorkspacePage</name>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="77"/>
        <source>&amp;New household</source>
        <translation>&amp;New household</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="78"/>
        <source>&amp;Lock</source>
        <translation>&amp;Lock</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="79"/>
        <source>Lock the app</source>
        <translation>Lock the app</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="80"/>
        <source>S&amp;ync now</source>
        <translation>S&amp;ync now</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="83"/>
        <location filename="../../app/gui/views/workspace.py" line="369"/>
        <source>Available once this laptop is enrolled with the province.</source>
        <translation>Available once this laptop is enrolled with the province.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="85"/>
        <source>&amp;Enroll with the province</source>
        <translation>&amp;Enroll with the province</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="86"/>
        <source>E&amp;xport CSV…</source>
        <translation>E&amp;xport CSV…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="87"/>
        <source>Households to CSV files for spreadsheets (Ctrl+E)</source>
        <translation>Households to CSV files for spreadsheets (Ctrl+E)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="88"/>
        <source>Settin&amp;gs…</source>
        <translation>Settin&amp;gs…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="89"/>
        <source>Language, automatic lock and sync (Ctrl+,)</source>
        <translation>Language, automatic lock and sync (Ctrl+,)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="91"/>
        <source>Sync progress</source>
        <translation>Sync progress</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="110"/>
        <source>Search name, NIK or KK number (Ctrl+F)</source>
        <translation>Search name, NIK or KK number (Ctrl+F)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="111"/>
        <source>Search households</source>
        <translation>Search households</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="113"/>
        <source>&amp;Search:</source>
        <translation>&amp;Search:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="116"/>
        <source>Filter by village</source>
        <translation>Filter by village</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="117"/>
        <source>&amp;Village:</source>
        <translation>&amp;Village:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="120"/>
        <source>Filter by status</source>
        <translation>Filter by status</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="121"/>
        <source>S&amp;tatus:</source>
        <translation>S&amp;tatus:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="123"/>
        <source>All</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="161"/>
        <source>Households</source>
        <translation>Households</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="280"/>
        <location filename="../../app/gui/views/workspace.py" line="318"/>
        <source>All villages</source>
        <translation>All villages</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="291"/>
        <source>Waiting to be sent: %1 · To revisit: %2</source>
        <translation>Waiting to be sent: %1 · To revisit: %2</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="301"/>
        <source>%1: %2 in the list, %3 visited, %4 final, %5 sent</source>
        <translation>%1: %2 in the list, %3 visited, %4 final, %5 sent</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="327"/>
        <source>Households: %1 of %2</source>
        <translation>Households: %1 of %2</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="341"/>
        <source>Needs correction: %1</source>
        <translation>Needs correction: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="343"/>
        <source>Needs c&amp;orrection (%1)</source>
        <translation>Needs c&amp;orrection (%1)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="330"/>
        <source>%1 in full, %2 stubs only</source>
        <translation>%1 in full, %2 stubs only</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="358"/>
        <source>Left to verify: %1</source>
        <translation>Left to verify: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="373"/>
        <source>Last sync: %1</source>
        <translation>Last sync: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="401"/>
        <source>Photos: %1 of %2 sent, %3 KB</source>
        <translation>Photos: %1 of %2 sent, %3 KB</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="420"/>
        <source>and %1 more (Status filter: Needs attention)</source>
        <translation>and %1 more (Status filter: Needs attention)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="422"/>
        <source>Sent back by the province: open, fix, finalise and sync again.</source>
        <translation>Sent back by the province: open, fix, finalise and sync again.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="375"/>
        <source>Last sync: never</source>
        <translation>Last sync: never</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="380"/>
        <source>Connecting...</source>
        <translation>Connecting...</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="390"/>
        <source>%1 of %2 households sent, %3 KB</source>
        <translation>%1 of %2 households sent, %3 KB</translation>
    </message>
</context>
</TS>
