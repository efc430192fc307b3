<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>EnrollDialog</name>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="24"/>
        <source>Enroll with the province</source>
        <translation>Enroll with the province</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="26"/>
        <source>Type the server address and the one-time code the province gave you.</source>
        <translation>Type the server address and the one-time code the province gave you.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="30"/>
        <source>Server address</source>
        <translation>Server address</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="32"/>
        <source>Enrollment code</source>
        <translation>Enrollment code</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="33"/>
        <source>Server &amp;address:</source>
        <translation>Server &amp;address:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="35"/>
        <source>One-time &amp;code:</source>
        <translation>One-time &amp;code:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="46"/>
        <source>&amp;Enroll</source>
        <translation>&amp;Enroll</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="48"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="74"/>
        <source>Type both the server address and the code.</source>
        <translation>Type both the server address and the code.</translation>
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
        <location filename="../../app/gui/views/first_run.py" line="88"/>
        <source>Welcome to KHBS Enroll</source>
        <translation>Welcome to KHBS Enroll</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="89"/>
        <source>&amp;Language:</source>
        <translation>&amp;Language:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="90"/>
        <source>New &amp;passphrase:</source>
        <translation>New &amp;passphrase:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="91"/>
        <source>&amp;Repeat passphrase:</source>
        <translation>&amp;Repeat passphrase:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="92"/>
        <source>New passphrase</source>
        <translation>New passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="93"/>
        <source>Repeat passphrase</source>
        <translation>Repeat passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="94"/>
        <source>Work &amp;offline now, enroll with the province later</source>
        <translation>Work &amp;offline now, enroll with the province later</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="95"/>
        <source>&amp;Training mode with demo households (never sent)</source>
        <translation>&amp;Training mode with demo households (never sent)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="96"/>
        <source>&amp;Enroll with the province (server address and one-time code)</source>
        <translation>&amp;Enroll with the province (server address and one-time code)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="98"/>
        <source>Remember this passphrase. Until this laptop is enrolled with the province, a forgotten passphrase cannot be recovered and the data on it is lost.</source>
        <translation>Remember this passphrase. Until this laptop is enrolled with the province, a forgotten passphrase cannot be recovered and the data on it is lost.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="100"/>
        <source>&amp;Start</source>
        <translation>&amp;Start</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/first_run.py" line="111"/>
        <source>The passphrase needs at least %n characters.</source>
        <translation>
            <numerusform>The passphrase needs at least %n character.</numerusform>
            <numerusform>The passphrase needs at least %n characters.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="114"/>
        <source>The two passphrases differ.</source>
        <translation>The two passphrases differ.</translation>
    </message>
</context>
<context>
    <name>Form</name>
    <message>
        <location filename="../../app/gui/form/text.py" line="14"/>
        <source>— choose —</source>
        <translation>— choose —</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="15"/>
        <source>Yes</source>
        <translation>Yes</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="16"/>
        <source>No</source>
        <translation>No</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="17"/>
        <source>Error:</source>
        <translation>Error:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="18"/>
        <source>Warning:</source>
        <translation>Warning:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="19"/>
        <source>Identity</source>
        <translation>Identity</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="20"/>
        <source>Errors: {errors}, warnings: {warnings}</source>
        <translation>Errors: {errors}, warnings: {warnings}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="21"/>
        <source>No errors or warnings.</source>
        <translation>No errors or warnings.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="22"/>
        <source>Sections</source>
        <translation>Sections</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="23"/>
        <source>List of errors and warnings</source>
        <translation>List of errors and warnings</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="24"/>
        <source>&amp;Add member</source>
        <translation>&amp;Add member</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="25"/>
        <source>&amp;Edit</source>
        <translation>&amp;Edit</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="26"/>
        <source>&amp;Remove</source>
        <translation>&amp;Remove</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="27"/>
        <source>Remove member</source>
        <translation>Remove member</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="28"/>
        <source>Remove member {n} ({name}) from the list?</source>
        <translation>Remove member {n} ({name}) from the list?</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="29"/>
        <source>Member {n}</source>
        <translation>Member {n}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="30"/>
        <source>Family member list</source>
        <translation>Family member list</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="31"/>
        <source>Check</source>
        <translation>Check</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="32"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="33"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="34"/>
        <source>Date of birth and sex were filled in from the NIK. Check and correct if needed.</source>
        <translation>Date of birth and sex were filled in from the NIK. Check and correct if needed.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="35"/>
        <source>Date of birth was filled in from the NIK. Check and correct if needed.</source>
        <translation>Date of birth was filled in from the NIK. Check and correct if needed.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="36"/>
        <source>Sex was filled in from the NIK. Check and correct if needed.</source>
        <translation>Sex was filled in from the NIK. Check and correct if needed.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="37"/>
        <source>Notice (read aloud in full)</source>
        <translation>Notice (read aloud in full)</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="38"/>
        <source>Notice version: {version}</source>
        <translation>Notice version: {version}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="39"/>
        <source>YYYY-MM-DD</source>
        <translation>YYYY-MM-DD</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="40"/>
        <source>Type the village name or code</source>
        <translation>Type the village name or code</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="41"/>
        <source>{field}, {part}</source>
        <translation>{field}, {part}</translation>
    </message>
</context>
<context>
    <name>HouseholdPage</name>
    <message>
        <location filename="../../app/gui/views/household.py" line="22"/>
        <source>Household</source>
        <translation>Household</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="27"/>
        <source>&amp;Save</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="28"/>
        <source>&amp;Finalise</source>
        <translation>&amp;Finalise</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="29"/>
        <source>&amp;Back to list</source>
        <translation>&amp;Back to list</translation>
    </message>
</context>
<context>
    <name>HouseholdTableModel</name>
    <message>
        <location filename="../../app/gui/models.py" line="31"/>
        <source>Draft</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="32"/>
        <source>Final</source>
        <translation>Final</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="33"/>
        <source>Synced</source>
        <translation>Synced</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="34"/>
        <source>Needs attention</source>
        <translation>Needs attention</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="35"/>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="38"/>
        <source>Not sent (draft)</source>
        <translation>Not sent (draft)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="39"/>
        <source>Waiting to send</source>
        <translation>Waiting to send</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="40"/>
        <source>Sent</source>
        <translation>Sent</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="41"/>
        <source>Won&apos;t be sent (training)</source>
        <translation>Won&apos;t be sent (training)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="44"/>
        <source>KK number</source>
        <translation>KK number</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="45"/>
        <source>Head of family</source>
        <translation>Head of family</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="46"/>
        <source>Village</source>
        <translation>Village</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="47"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="48"/>
        <source>Sync</source>
        <translation>Sync</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="49"/>
        <source>Card number</source>
        <translation>Card number</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="50"/>
        <source>Last change</source>
        <translation>Last change</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="52"/>
        <source>(damaged, cannot open)</source>
        <translation>(damaged, cannot open)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="53"/>
        <source>Province:</source>
        <translation>Province:</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="55"/>
        <source>duplicate in province</source>
        <translation>duplicate in province</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="57"/>
        <source>Province: NIK also in another household in the province</source>
        <translation>Province: NIK also in another household in the province</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="59"/>
        <source>Province: KK number also in another household in the province</source>
        <translation>Province: KK number also in another household in the province</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="209"/>
        <source>Draft saved</source>
        <translation>Draft saved</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/main_window.py" line="213"/>
        <source>Not final yet: %n error(s) to fix</source>
        <translation>
            <numerusform>Not final yet: %n error to fix</numerusform>
            <numerusform>Not final yet: %n errors to fix</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="225"/>
        <source>These warnings are still open:</source>
        <translation>These warnings are still open:</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="226"/>
        <source>Finalise anyway?</source>
        <translation>Finalise anyway?</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="234"/>
        <source>Finalised: waiting to be sent</source>
        <translation>Finalised: waiting to be sent</translation>
    </message>
</context>
<context>
    <name>UnlockPage</name>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="21"/>
        <source>KHBS Enroll is locked</source>
        <translation>KHBS Enroll is locked</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="23"/>
        <source>&amp;Passphrase:</source>
        <translation>&amp;Passphrase:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="26"/>
        <source>Passphrase</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="28"/>
        <source>&amp;Unlock</source>
        <translation>&amp;Unlock</translation>
    </message>
</context>
<context>
    <name>WorkspacePage</name>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="51"/>
        <source>&amp;New household</source>
        <translation>&amp;New household</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="52"/>
        <source>&amp;Lock</source>
        <translation>&amp;Lock</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="53"/>
        <source>Lock the app</source>
        <translation>Lock the app</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="54"/>
        <source>S&amp;ync now</source>
        <translation>S&amp;ync now</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="56"/>
        <location filename="../../app/gui/views/workspace.py" line="182"/>
        <source>Available once this laptop is enrolled with the province.</source>
        <translation>Available once this laptop is enrolled with the province.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="57"/>
        <source>&amp;Enroll with the province</source>
        <translation>&amp;Enroll with the province</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="59"/>
        <source>Sync progress</source>
        <translation>Sync progress</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="69"/>
        <source>Search name, NIK or KK number (Ctrl+F)</source>
        <translation>Search name, NIK or KK number (Ctrl+F)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="70"/>
        <source>Search households</source>
        <translation>Search households</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="72"/>
        <source>&amp;Search:</source>
        <translation>&amp;Search:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="75"/>
        <source>Filter by village</source>
        <translation>Filter by village</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="76"/>
        <source>&amp;Village:</source>
        <translation>&amp;Village:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="79"/>
        <source>Filter by status</source>
        <translation>Filter by status</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="80"/>
        <source>S&amp;tatus:</source>
        <translation>S&amp;tatus:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="82"/>
        <source>All</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="107"/>
        <source>Households</source>
        <translation>Households</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="165"/>
        <source>All villages</source>
        <translation>All villages</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="174"/>
        <source>Households: %1 of %2</source>
        <translation>Households: %1 of %2</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="185"/>
        <source>Last sync: %1</source>
        <translation>Last sync: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="187"/>
        <source>Last sync: never</source>
        <translation>Last sync: never</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="193"/>
        <source>Connecting...</source>
        <translation>Connecting...</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="203"/>
        <source>%1 of %2 households sent, %3 KB</source>
        <translation>%1 of %2 households sent, %3 KB</translation>
    </message>
</context>
</TS>
