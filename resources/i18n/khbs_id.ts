<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="id_ID">
<context>
    <name>CameraDialog</name>
    <message>
        <location filename="../../app/gui/views/camera.py" line="64"/>
        <source>Take a photo with the camera</source>
        <translation>Ambil foto dengan kamera</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="71"/>
        <source>Camera preview</source>
        <translation>Pratinjau kamera</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="83"/>
        <source>&amp;Take photo</source>
        <translation>&amp;Ambil foto</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="84"/>
        <source>Space or Enter</source>
        <translation>Spasi atau Enter</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="85"/>
        <source>&amp;Retake</source>
        <translation>&amp;Ulangi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="86"/>
        <source>&amp;Use photo</source>
        <translation>&amp;Pakai foto</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="87"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="128"/>
        <source>Is the photo sharp? Use it, or retake.</source>
        <translation>Apakah foto sudah jelas? Pakai, atau ulangi.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="137"/>
        <source>Aim at the dwelling&apos;s front or the KK, then take the photo.</source>
        <translation>Arahkan ke bagian depan rumah atau ke KK, lalu ambil foto.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="140"/>
        <source>Waiting for the camera…</source>
        <translation>Menunggu gambar dari kamera…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/camera.py" line="161"/>
        <source>The camera could not be opened. Choose a photo file instead.</source>
        <translation>Kamera tidak dapat dibuka. Pilih berkas foto saja.</translation>
    </message>
</context>
<context>
    <name>EnrollDialog</name>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="26"/>
        <source>Enroll with the province</source>
        <translation>Daftarkan ke provinsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="28"/>
        <source>Type the server address and the one-time code the province gave you.</source>
        <translation>Ketik alamat server dan kode pendaftaran (sekali pakai) yang diberikan provinsi.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="33"/>
        <source>Server address</source>
        <translation>Alamat server</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="35"/>
        <source>Enrollment code</source>
        <translation>Kode pendaftaran</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="36"/>
        <source>Server &amp;address:</source>
        <translation>&amp;Alamat server:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="38"/>
        <source>One-time &amp;code:</source>
        <translation>&amp;Kode pendaftaran:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="48"/>
        <source>&amp;Enroll</source>
        <translation>Da&amp;ftarkan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="50"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/enroll.py" line="76"/>
        <source>Type both the server address and the code.</source>
        <translation>Isi alamat server dan kode pendaftaran.</translation>
    </message>
</context>
<context>
    <name>EvidenceController</name>
    <message>
        <location filename="../../app/gui/evidence.py" line="310"/>
        <source>Attach a photo of the thumbprint, or write a witness&apos;s name.</source>
        <translation>Lampirkan foto cap jempol, atau tulis nama saksi.</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <location filename="../../app/gui/views/export.py" line="40"/>
        <source>Export CSV</source>
        <translation>Ekspor CSV</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="42"/>
        <location filename="../../app/gui/views/export.py" line="141"/>
        <source>Export folder</source>
        <translation>Folder ekspor</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="43"/>
        <source>&amp;Choose...</source>
        <translation>&amp;Pilih…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="44"/>
        <source>&amp;Folder:</source>
        <translation>&amp;Folder:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="47"/>
        <source>All</source>
        <translation>Semua</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="50"/>
        <source>S&amp;tatus:</source>
        <translation>S&amp;tatus:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="53"/>
        <source>All villages</source>
        <translation>Semua desa/kelurahan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="56"/>
        <source>&amp;Village:</source>
        <translation>&amp;Desa/kelurahan:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="62"/>
        <source>&amp;Label language:</source>
        <translation>&amp;Bahasa label:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="65"/>
        <source>&amp;Mask NIK and KK numbers (region and last digits only)</source>
        <translation>Samarkan &amp;NIK dan nomor KK (hanya kode wilayah dan angka terakhir)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="67"/>
        <source>Leave out &amp;health answers</source>
        <translation>Tanpa jawaban &amp;kesehatan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="68"/>
        <source>E&amp;xcel (Indonesia): semicolon separator</source>
        <translation>Format E&amp;xcel (Indonesia): pemisah titik koma</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="73"/>
        <source>The files hold personal data in plain text, not encrypted. Keep them only somewhere safe and delete them after use.</source>
        <translation>Berkas ini berisi data pribadi dalam teks biasa, tanpa enkripsi. Simpan hanya di tempat yang aman dan hapus setelah dipakai.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="78"/>
        <source>Export progress</source>
        <translation>Kemajuan ekspor</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="83"/>
        <source>&amp;Export</source>
        <translation>&amp;Ekspor</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="86"/>
        <location filename="../../app/gui/views/export.py" line="200"/>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="150"/>
        <source>Choose a folder for the files.</source>
        <translation>Pilih folder untuk berkas ekspor.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="175"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="188"/>
        <source>%1 of %2 households</source>
        <translation>%1 dari %2 keluarga</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="193"/>
        <source>Cancelling...</source>
        <translation>Membatalkan…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/export.py" line="212"/>
        <source>Export cancelled. No files were written.</source>
        <translation>Ekspor dibatalkan. Tidak ada berkas yang ditulis.</translation>
    </message>
</context>
<context>
    <name>FirstRunPage</name>
    <message>
        <location filename="../../app/gui/passphrase.py" line="9"/>
        <source>Too short: use at least 10 characters.</source>
        <translation>Terlalu pendek: minimal 10 karakter.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="10"/>
        <source>Weak: add more words or characters.</source>
        <translation>Lemah: tambahkan kata atau karakter lagi.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="11"/>
        <source>Fair: a few more words make it strong.</source>
        <translation>Cukup: tambah beberapa kata lagi agar kuat.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="12"/>
        <source>Good.</source>
        <translation>Baik.</translation>
    </message>
    <message>
        <location filename="../../app/gui/passphrase.py" line="13"/>
        <source>Strong.</source>
        <translation>Kuat.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="100"/>
        <source>Welcome to KHBS Enroll</source>
        <translation>Selamat datang di KHBS Enroll</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="101"/>
        <source>&amp;Language:</source>
        <translation>&amp;Bahasa:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="102"/>
        <source>New &amp;passphrase:</source>
        <translation>&amp;Kata sandi baru:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="103"/>
        <source>&amp;Repeat passphrase:</source>
        <translation>&amp;Ulangi kata sandi:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="104"/>
        <source>New passphrase</source>
        <translation>Kata sandi baru</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="105"/>
        <source>Repeat passphrase</source>
        <translation>Ulangi kata sandi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="106"/>
        <source>Work &amp;offline now, enroll with the province later</source>
        <translation>Mulai bekerja &amp;sekarang, daftarkan ke provinsi nanti</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="107"/>
        <source>&amp;Training mode with demo households (never sent)</source>
        <translation>Mode &amp;latihan dengan keluarga contoh (tidak akan dikirim)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="108"/>
        <source>&amp;Enroll with the province (server address and one-time code)</source>
        <translation>&amp;Daftarkan ke provinsi (alamat server dan kode pendaftaran)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="111"/>
        <source>Remember this passphrase. Until this laptop is enrolled with the province, a forgotten passphrase cannot be recovered and the data on it is lost.</source>
        <translation>Ingat kata sandi ini. Selama laptop ini belum didaftarkan ke provinsi, kata sandi yang terlupa tidak dapat dipulihkan dan semua data di laptop ini akan hilang.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="115"/>
        <source>&amp;Start</source>
        <translation>&amp;Mulai</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/first_run.py" line="133"/>
        <source>The passphrase needs at least %n characters.</source>
        <translation>
            <numerusform>Kata sandi minimal %n karakter.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/first_run.py" line="137"/>
        <source>The two passphrases differ.</source>
        <translation>Kedua kata sandi tidak sama.</translation>
    </message>
</context>
<context>
    <name>Form</name>
    <message>
        <location filename="../../app/gui/form/text.py" line="16"/>
        <source>— choose —</source>
        <translation>— pilih —</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="17"/>
        <source>Yes</source>
        <translation>Ya</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="18"/>
        <source>No</source>
        <translation>Tidak</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="19"/>
        <source>Error:</source>
        <translation>Kesalahan:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="20"/>
        <source>Warning:</source>
        <translation>Peringatan:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="21"/>
        <source>Identity</source>
        <translation>Identitas</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="22"/>
        <source>No errors or warnings.</source>
        <translation>Tidak ada kesalahan atau peringatan.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="23"/>
        <source>Sections</source>
        <translation>Bagian</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="24"/>
        <source>List of errors and warnings</source>
        <translation>Daftar kesalahan dan peringatan</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="25"/>
        <source>&amp;Add member</source>
        <translation>&amp;Tambah anggota</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="26"/>
        <source>&amp;Edit</source>
        <translation>&amp;Ubah</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="27"/>
        <source>&amp;Remove</source>
        <translation>&amp;Hapus</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="28"/>
        <source>Remove member</source>
        <translation>Hapus anggota</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="29"/>
        <source>Remove member {n} ({name}) from the list?</source>
        <translation>Hapus anggota {n} ({name}) dari daftar?</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="30"/>
        <source>Member {n}</source>
        <translation>Anggota {n}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="31"/>
        <source>Family member list</source>
        <translation>Daftar anggota keluarga</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="32"/>
        <source>Check</source>
        <translation>Hasil periksa</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="33"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="34"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="35"/>
        <source>Date of birth and sex were filled in from the NIK. Check and correct if needed.</source>
        <translation>Tanggal lahir dan jenis kelamin diisi otomatis dari NIK. Periksa dan perbaiki bila perlu.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="38"/>
        <source>Date of birth was filled in from the NIK. Check and correct if needed.</source>
        <translation>Tanggal lahir diisi otomatis dari NIK. Periksa dan perbaiki bila perlu.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="41"/>
        <source>Sex was filled in from the NIK. Check and correct if needed.</source>
        <translation>Jenis kelamin diisi otomatis dari NIK. Periksa dan perbaiki bila perlu.</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="44"/>
        <source>Notice (read aloud in full)</source>
        <translation>Pemberitahuan (bacakan seluruhnya)</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="45"/>
        <source>Notice version: {version}</source>
        <translation>Versi pemberitahuan: {version}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="46"/>
        <source>DD-MM-YYYY</source>
        <translation>HH-BB-TTTT</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="47"/>
        <source>Type the codes, e.g. 1 4</source>
        <translation>Ketik kodenya, misalnya 1 4</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="48"/>
        <source>Type the village name or code</source>
        <translation>Ketik nama atau kode desa/kelurahan</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="49"/>
        <source>{field}, {part}</source>
        <translation>{field}, {part}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="51"/>
        <source>Choose photo…</source>
        <translation>Pilih foto…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="52"/>
        <source>Sign…</source>
        <translation>Tanda tangan…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="53"/>
        <source>Camera…</source>
        <translation>Kamera…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="54"/>
        <source>Take the photo with this laptop&apos;s camera</source>
        <translation>Ambil foto dengan kamera laptop ini</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="55"/>
        <source>No camera found on this laptop</source>
        <translation>Tidak ada kamera di laptop ini</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="56"/>
        <source>Remove</source>
        <translation>Hapus</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="57"/>
        <source>None yet</source>
        <translation>Belum ada</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="58"/>
        <source>Preparing…</source>
        <translation>Sedang disiapkan…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="59"/>
        <source>Attached, {kb} KB, encrypted</source>
        <translation>Terlampir, {kb} KB, terenkripsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="60"/>
        <source>Attached, {kb} KB, encrypted; taken {when}</source>
        <translation>Terlampir, {kb} KB, terenkripsi; diambil {when}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="61"/>
        <source>From dwelling photo</source>
        <translation>Dari foto rumah</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="62"/>
        <source>From this laptop</source>
        <translation>Dari laptop ini</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="63"/>
        <source>Source: {source}</source>
        <translation>Sumber: {source}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/text.py" line="64"/>
        <source>Waiting for a position…</source>
        <translation>Menunggu titik lokasi…</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/comments.py" line="23"/>
        <source>Supervisor&apos;s comment:</source>
        <translation>Komentar pengawas:</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/comments.py" line="24"/>
        <source>Supervisor&apos;s comments: {n}</source>
        <translation>Komentar pengawas: {n}</translation>
    </message>
    <message>
        <location filename="../../app/gui/form/comments.py" line="25"/>
        <source>Comments: {n}</source>
        <translation>Komentar: {n}</translation>
    </message>
</context>
<context>
    <name>HouseholdPage</name>
    <message>
        <location filename="../../app/gui/views/household.py" line="106"/>
        <source>Visit %1 · started %2 · %3 min</source>
        <translation>Kunjungan ke-%1 · mulai %2 · %3 menit</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="38"/>
        <source>&amp;Save</source>
        <translation>&amp;Simpan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="32"/>
        <source>Family</source>
        <translation>Keluarga</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="39"/>
        <source>&amp;Finalise</source>
        <translation>&amp;Finalkan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="40"/>
        <source>&amp;Back to list</source>
        <translation>&amp;Kembali ke daftar</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="85"/>
        <source>Family: %1</source>
        <translation>Keluarga: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/household.py" line="87"/>
        <source>New family</source>
        <translation>Keluarga baru</translation>
    </message>
</context>
<context>
    <name>HouseholdTableModel</name>
    <message>
        <location filename="../../app/gui/models.py" line="51"/>
        <source>To verify</source>
        <translation>Perlu diverifikasi</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="52"/>
        <source>To revisit</source>
        <translation>Kunjungi lagi</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="60"/>
        <source>Today</source>
        <translation>Hari ini</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="64"/>
        <source>Interviewed</source>
        <translation>Selesai</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="65"/>
        <source>Partly</source>
        <translation>Sebagian</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="66"/>
        <source>Refused</source>
        <translation>Menolak</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="67"/>
        <source>Nobody home</source>
        <translation>Tidak ada orang</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="68"/>
        <source>Moved</source>
        <translation>Pindah</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="69"/>
        <source>Not found</source>
        <translation>Tidak ditemukan</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="70"/>
        <source>No longer exists</source>
        <translation>Sudah tidak ada</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="71"/>
        <source>Dwelling empty</source>
        <translation>Rumah kosong</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="73"/>
        <source>%1 (member)</source>
        <translation>%1 (anggota)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="75"/>
        <location filename="../../app/gui/models.py" line="76"/>
        <source>Not sent</source>
        <translation>Belum dikirim</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="86"/>
        <source>RT/RW</source>
        <translation>RT/RW</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="87"/>
        <source>Address</source>
        <translation>Alamat</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="88"/>
        <source>Members</source>
        <translation>Anggota</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="89"/>
        <source>Outcome</source>
        <translation>Hasil</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="90"/>
        <source>Next visit</source>
        <translation>Kunjungi lagi</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="98"/>
        <source>Nobody home: come back on %1</source>
        <translation>Tidak ada orang di rumah: kunjungi lagi pada %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="103"/>
        <source>changed by province</source>
        <translation>diubah provinsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="109"/>
        <source>moved to another officer</source>
        <translation>pindah petugas</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="53"/>
        <source>Draft</source>
        <translation>Draf</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="54"/>
        <source>Final</source>
        <translation>Final</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="55"/>
        <source>Synced</source>
        <translation>Terkirim</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="56"/>
        <source>Needs attention</source>
        <translation>Perlu perhatian</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="57"/>
        <source>Needs correction</source>
        <translation>Perlu perbaikan</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="58"/>
        <source>Training</source>
        <translation>Latihan</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="77"/>
        <source>Waiting to send</source>
        <translation>Menunggu dikirim</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="78"/>
        <source>Sent</source>
        <translation>Terkirim</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="79"/>
        <source>Won&apos;t be sent (training)</source>
        <translation>Tidak dikirim</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="80"/>
        <source>Stub only</source>
        <translation>Hanya ringkasan</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="83"/>
        <source>KK number</source>
        <translation>Nomor KK</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="84"/>
        <source>Head of family</source>
        <translation>Kepala keluarga</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="85"/>
        <source>Village</source>
        <translation>Desa</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="91"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="92"/>
        <source>Sync</source>
        <translation>Pengiriman</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="93"/>
        <source>Card number</source>
        <translation>Nomor kartu</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="94"/>
        <source>Last change</source>
        <translation>Terakhir diubah</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="96"/>
        <source>(damaged, cannot open)</source>
        <translation>(rusak, tidak bisa dibuka)</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="99"/>
        <source>Province:</source>
        <translation>Provinsi:</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="101"/>
        <source>duplicate in province</source>
        <translation>ganda di provinsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="104"/>
        <source>The province changed this household after you started: open it to choose, answer by answer, which version to keep.</source>
        <translation>Provinsi mengubah data keluarga ini setelah Anda mulai: buka untuk memilih, jawaban demi jawaban, versi mana yang disimpan.</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="110"/>
        <source>This village now belongs to another officer. Finalise the household and sync: it leaves this laptop once the province has it.</source>
        <translation>Desa ini sekarang menjadi tugas petugas lain. Finalkan keluarga ini lalu kirim: datanya dihapus dari laptop ini setelah provinsi menerimanya.</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="116"/>
        <source>Returned by the supervisor for correction: open it to see the comments at their questions, correct, finalise and sync again.</source>
        <translation>Dikembalikan pengawas untuk perbaikan: buka untuk melihat komentar di pertanyaannya, perbaiki, finalkan, lalu kirim lagi.</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="123"/>
        <source>duplicate case open</source>
        <translation>kasus duplikat terbuka</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="124"/>
        <source>duplicate case: kept here</source>
        <translation>kasus duplikat: tetap di sini</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="125"/>
        <source>duplicate case: kept elsewhere</source>
        <translation>kasus duplikat: tetap di keluarga lain</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="126"/>
        <source>duplicate case: not a duplicate</source>
        <translation>kasus duplikat: bukan duplikat</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="129"/>
        <source>Province: NIK also in another household in the province</source>
        <translation>Provinsi: NIK juga ada di keluarga lain di provinsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/models.py" line="132"/>
        <source>Province: KK number also in another household in the province</source>
        <translation>Provinsi: nomor KK juga ada di keluarga lain di provinsi</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="406"/>
        <source>Draft saved</source>
        <translation>Draf tersimpan</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/main_window.py" line="412"/>
        <source>Not final yet: %n error(s) to fix</source>
        <translation>
            <numerusform>Belum bisa final: %n kesalahan harus diperbaiki</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="430"/>
        <source>These warnings are still open:</source>
        <translation>Peringatan berikut belum dikonfirmasi:</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="434"/>
        <source>Finalise anyway?</source>
        <translation>Tetap finalkan?</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="442"/>
        <source>Finalised: waiting to be sent</source>
        <translation>Sudah final: menunggu dikirim</translation>
    </message>
</context>
<context>
    <name>PhotoPicker</name>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="31"/>
        <source>Choose a photo</source>
        <translation>Pilih foto</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="34"/>
        <source>&amp;Folder…</source>
        <translation>&amp;Folder…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="42"/>
        <source>Photos in the folder</source>
        <translation>Foto di folder ini</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="48"/>
        <source>&amp;Choose</source>
        <translation>&amp;Pilih</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="49"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="53"/>
        <source>Folder:</source>
        <translation>Folder:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="63"/>
        <source>Folder with photos</source>
        <translation>Folder berisi foto</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="71"/>
        <source>Reading photos…</source>
        <translation>Membaca foto…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/photo_picker.py" line="85"/>
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n foto</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/photo_picker.py" line="85"/>
        <source>No photos here</source>
        <translation>Tidak ada foto di sini</translation>
    </message>
</context>
<context>
    <name>ProvinceChangeDialog</name>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="30"/>
        <source>The province changed this household</source>
        <translation>Provinsi mengubah data keluarga ini</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="34"/>
        <source>The province sent a newer version of this household after you started on it. Nothing was overwritten. For each answer below, choose the version to keep.</source>
        <translation>Provinsi mengirim versi baru data keluarga ini setelah Anda mulai mengisinya. Tidak ada yang ditimpa. Untuk setiap jawaban di bawah, pilih versi yang disimpan.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="42"/>
        <source>Question</source>
        <translation>Pertanyaan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="42"/>
        <source>Your version</source>
        <translation>Versi Anda</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="42"/>
        <source>Province&apos;s version</source>
        <translation>Versi provinsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="52"/>
        <source>Keep yours: %1</source>
        <translation>Pakai versi Anda: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="53"/>
        <source>Take the province&apos;s: %1</source>
        <translation>Pakai versi provinsi: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="73"/>
        <source>Keep all &amp;yours</source>
        <translation>Pakai semua versi &amp;Anda</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="74"/>
        <source>Take all the &amp;province&apos;s</source>
        <translation>Pakai semua versi &amp;provinsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="79"/>
        <source>&amp;Save my choices</source>
        <translation>&amp;Simpan pilihan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="80"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="117"/>
        <source>Member %1 (whole member)</source>
        <translation>Anggota ke-%1 (seluruh data anggota)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="125"/>
        <source>(empty)</source>
        <translation>(kosong)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="125"/>
        <source>(not in this version)</source>
        <translation>(tidak ada di versi ini)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/province_change.py" line="135"/>
        <source>(none)</source>
        <translation>(tidak ada)</translation>
    </message>
</context>
<context>
    <name>RecoverDialog</name>
    <message>
        <location filename="../../app/gui/views/recover.py" line="26"/>
        <source>Forgotten passphrase</source>
        <translation>Lupa kata sandi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="29"/>
        <source>Call the province administrator and read them this laptop&apos;s store id. They give you a recovery code. Nothing stored on this laptop is lost.</source>
        <translation>Telepon admin provinsi dan bacakan kode penyimpanan laptop ini. Admin akan memberi kode pemulihan. Tidak ada data di laptop ini yang hilang.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="50"/>
        <source>Set passphrase</source>
        <translation>Simpan kata sandi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="53"/>
        <source>Store id:</source>
        <translation>Kode penyimpanan:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="54"/>
        <source>&amp;Recovery code:</source>
        <translation>Kode &amp;pemulihan:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="55"/>
        <source>&amp;New passphrase:</source>
        <translation>Kata sandi &amp;baru:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="56"/>
        <source>Re&amp;peat it:</source>
        <translation>&amp;Ulangi:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="58"/>
        <source>Recovery code</source>
        <translation>Kode pemulihan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="59"/>
        <source>New passphrase</source>
        <translation>Kata sandi baru</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="60"/>
        <source>Repeat the new passphrase</source>
        <translation>Ulangi kata sandi baru</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/recover.py" line="79"/>
        <source>The new passphrase needs at least %n characters.</source>
        <translation>
            <numerusform>Kata sandi baru minimal %n karakter.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/recover.py" line="82"/>
        <source>The two passphrases differ.</source>
        <translation>Kedua kata sandi tidak sama.</translation>
    </message>
</context>
<context>
    <name>ReviewHistoryDialog</name>
    <message>
        <location filename="../../app/gui/views/review.py" line="245"/>
        <location filename="../../app/gui/views/review.py" line="248"/>
        <source>Review history</source>
        <translation>Riwayat pemeriksaan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="252"/>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="262"/>
        <source>Round %1: returned for correction</source>
        <translation>Putaran %1: dikembalikan untuk perbaikan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="264"/>
        <source>Returned for correction</source>
        <translation>Dikembalikan untuk perbaikan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="267"/>
        <source>Verified</source>
        <translation>Diverifikasi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="268"/>
        <source>Rejected</source>
        <translation>Ditolak</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="273"/>
        <source>No decisions yet.</source>
        <translation>Belum ada keputusan.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="277"/>
        <source>(damaged, cannot be opened)</source>
        <translation>(rusak, tidak bisa dibuka)</translation>
    </message>
</context>
<context>
    <name>ReviewPanel</name>
    <message>
        <location filename="../../app/gui/views/review.py" line="91"/>
        <source>Supervisor&apos;s comments</source>
        <translation>Komentar pengawas</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="92"/>
        <source>Enter: go to the question (Ctrl+K: here)</source>
        <translation>Enter: ke pertanyaannya (Ctrl+K: ke sini)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="98"/>
        <source>Every decision on this household (Ctrl+H)</source>
        <translation>Semua keputusan atas keluarga ini (Ctrl+H)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/review.py" line="152"/>
        <source>Checked by the province: %n decision(s)</source>
        <translation>
            <numerusform>Diperiksa provinsi: %n keputusan</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="175"/>
        <source>Review history (%1)…</source>
        <translation>Riwayat pemeriksaan (%1)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="184"/>
        <source>The household as a whole</source>
        <translation>Keluarga secara keseluruhan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="207"/>
        <source>Returned by the supervisor for correction (round %1, %2)</source>
        <translation>Dikembalikan pengawas untuk perbaikan (putaran %1, %2)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="211"/>
        <source>Returned by the supervisor for correction (%1)</source>
        <translation>Dikembalikan pengawas untuk perbaikan (%1)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="216"/>
        <location filename="../../app/gui/views/review.py" line="237"/>
        <source>Reason: %1</source>
        <translation>Alasan: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="218"/>
        <source>Note: %1</source>
        <translation>Catatan: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="220"/>
        <source>Correct what each comment says (Ctrl+K), then finalise again.</source>
        <translation>Perbaiki sesuai setiap komentar (Ctrl+K), lalu finalkan lagi.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="224"/>
        <source>NIK</source>
        <translation>NIK</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="224"/>
        <source>KK number</source>
        <translation>Nomor KK</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="227"/>
        <source>Duplicate case (%1) open at the province: waiting for the regency&apos;s decision.</source>
        <translation>Kasus duplikat (%1) dibuka di provinsi: menunggu keputusan kabupaten/kota.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="229"/>
        <source>Duplicate case (%1) decided: this household keeps it.</source>
        <translation>Kasus duplikat (%1) diputuskan: tetap di keluarga ini.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="231"/>
        <source>Duplicate case (%1) decided: the other household keeps it. Check this household&apos;s members.</source>
        <translation>Kasus duplikat (%1) diputuskan: tetap di keluarga lain. Periksa anggota keluarga ini.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/review.py" line="234"/>
        <source>Duplicate case (%1) decided: not a duplicate.</source>
        <translation>Kasus duplikat (%1) diputuskan: bukan duplikat.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../app/gui/views/settings.py" line="23"/>
        <source>Settings</source>
        <translation>Pengaturan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="28"/>
        <source>&amp;Language:</source>
        <translation>&amp;Bahasa:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="33"/>
        <source> min</source>
        <translation> menit</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="34"/>
        <source>Minutes without input before the app locks</source>
        <translation>Lama tanpa kegiatan (menit) sebelum aplikasi terkunci</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="35"/>
        <source>Lock &amp;after:</source>
        <translation>Kunci se&amp;telah:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="37"/>
        <source>Without keyboard or mouse input, the app locks itself.</source>
        <translation>Jika tidak ada ketikan atau gerakan mouse selama itu, aplikasi otomatis terkunci.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="39"/>
        <source>Send to the province automatically when &amp;connected</source>
        <translation>Kirim ke provinsi &amp;otomatis saat tersambung</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="43"/>
        <source>A new language applies to the list now and to a family form when it is opened.</source>
        <translation>Bahasa baru langsung berlaku untuk daftar, dan untuk formulir keluarga saat dibuka berikutnya.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="50"/>
        <source>&amp;Save</source>
        <translation>&amp;Simpan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/settings.py" line="51"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
</context>
<context>
    <name>SignatureDialog</name>
    <message>
        <location filename="../../app/gui/views/signature.py" line="95"/>
        <source>Consent signature</source>
        <translation>Tanda tangan persetujuan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="97"/>
        <source>Signature pad</source>
        <translation>Bidang tanda tangan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="100"/>
        <source>After the notice (version %1) was read aloud, the person giving consent signs here with the mouse, touchpad or pen.</source>
        <translation>Setelah pemberitahuan (versi %1) dibacakan, pemberi persetujuan menandatangani di sini dengan mouse, touchpad atau pena.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="105"/>
        <source>C&amp;lear</source>
        <translation>&amp;Bersihkan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="107"/>
        <source>&amp;Cannot sign</source>
        <translation>&amp;Tidak dapat bertanda tangan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="109"/>
        <source>Then attach a photo of a thumbprint, or name a witness, in the form.</source>
        <translation>Lalu lampirkan foto cap jempol, atau tulis nama saksi, di formulir.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="118"/>
        <source>&amp;Attach</source>
        <translation>&amp;Lampirkan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/signature.py" line="119"/>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
</context>
<context>
    <name>UnlockPage</name>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="24"/>
        <source>KHBS Enroll is locked</source>
        <translation>KHBS Enroll terkunci</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="26"/>
        <source>&amp;Passphrase:</source>
        <translation>&amp;Kata sandi:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="29"/>
        <source>Passphrase</source>
        <translation>Kata sandi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="31"/>
        <source>&amp;Unlock</source>
        <translation>&amp;Buka kunci</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/unlock.py" line="37"/>
        <source>&amp;Forgot the passphrase?</source>
        <translation>&amp;Lupa kata sandi?</translation>
    </message>
</context>
<context>
    <name>WorkspacePage</name>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="77"/>
        <source>&amp;New household</source>
        <translation>Keluarga &amp;baru</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="78"/>
        <source>&amp;Lock</source>
        <translation>&amp;Kunci</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="79"/>
        <source>Lock the app</source>
        <translation>Kunci aplikasi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="80"/>
        <source>S&amp;ync now</source>
        <translation>Kirim &amp;sekarang</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="83"/>
        <location filename="../../app/gui/views/workspace.py" line="369"/>
        <source>Available once this laptop is enrolled with the province.</source>
        <translation>Tersedia setelah laptop ini didaftarkan ke provinsi.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="85"/>
        <source>&amp;Enroll with the province</source>
        <translation>Da&amp;ftarkan ke provinsi</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="86"/>
        <source>E&amp;xport CSV…</source>
        <translation>&amp;Ekspor CSV…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="87"/>
        <source>Households to CSV files for spreadsheets (Ctrl+E)</source>
        <translation>Data keluarga ke berkas CSV, untuk dibuka di Excel atau LibreOffice (Ctrl+E)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="88"/>
        <source>Settin&amp;gs…</source>
        <translation>Pen&amp;gaturan…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="89"/>
        <source>Language, automatic lock and sync (Ctrl+,)</source>
        <translation>Bahasa, kunci otomatis, dan pengiriman (Ctrl+,)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="91"/>
        <source>Sync progress</source>
        <translation>Kemajuan pengiriman</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="110"/>
        <source>Search name, NIK or KK number (Ctrl+F)</source>
        <translation>Cari nama, NIK, atau nomor KK (Ctrl+F)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="111"/>
        <source>Search households</source>
        <translation>Cari keluarga</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="113"/>
        <source>&amp;Search:</source>
        <translation>&amp;Cari:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="116"/>
        <source>Filter by village</source>
        <translation>Saring menurut desa/kelurahan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="117"/>
        <source>&amp;Village:</source>
        <translation>&amp;Desa/kelurahan:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="120"/>
        <source>Filter by status</source>
        <translation>Saring menurut status</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="121"/>
        <source>S&amp;tatus:</source>
        <translation>S&amp;tatus:</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="123"/>
        <source>All</source>
        <translation>Semua</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="161"/>
        <source>Households</source>
        <translation>Daftar keluarga</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="280"/>
        <location filename="../../app/gui/views/workspace.py" line="318"/>
        <source>All villages</source>
        <translation>Semua desa/kelurahan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="291"/>
        <source>Waiting to be sent: %1 · To revisit: %2</source>
        <translation>Menunggu dikirim: %1 · Kunjungi lagi: %2</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="301"/>
        <source>%1: %2 in the list, %3 visited, %4 final, %5 sent</source>
        <translation>%1: %2 dalam daftar, %3 dikunjungi, %4 final, %5 terkirim</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="327"/>
        <source>Households: %1 of %2</source>
        <translation>Keluarga: %1 dari %2</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="341"/>
        <source>Needs correction: %1</source>
        <translation>Perlu perbaikan: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="343"/>
        <source>Needs c&amp;orrection (%1)</source>
        <translation>&amp;Perlu perbaikan (%1)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="330"/>
        <source>%1 in full, %2 stubs only</source>
        <translation>%1 lengkap, %2 hanya ringkasan</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="358"/>
        <source>Left to verify: %1</source>
        <translation>Perlu diverifikasi: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="373"/>
        <source>Last sync: %1</source>
        <translation>Terakhir dikirim: %1</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="401"/>
        <source>Photos: %1 of %2 sent, %3 KB</source>
        <translation>Foto: %1 dari %2 terkirim, %3 KB</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="420"/>
        <source>and %1 more (Status filter: Needs attention)</source>
        <translation>dan %1 lainnya (pilih Status: Perlu perhatian)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="422"/>
        <source>Sent back by the province: open, fix, finalise and sync again.</source>
        <translation>Dikembalikan provinsi: buka, perbaiki, finalkan, lalu kirim lagi.</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="375"/>
        <source>Last sync: never</source>
        <translation>Terakhir dikirim: belum pernah</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="380"/>
        <source>Connecting...</source>
        <translation>Menghubungi server…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/workspace.py" line="390"/>
        <source>%1 of %2 households sent, %3 KB</source>
        <translation>%1 dari %2 keluarga terkirim, %3 KB</translation>
    </message>
</context>
</TS>
