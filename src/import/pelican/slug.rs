//! Pelican's slugs, computed exactly as Pelican does with its default settings, so that the
//! old `/<slug>.html` addresses of articles without a `Slug:` can be kept.

use unicode_normalization::UnicodeNormalization;

/// Pelican's `slugify` with its default settings (`SLUG_REGEX_SUBSTITUTIONS`, ASCII, lower
/// case): tags stripped and entities decoded (markupsafe's `striptags`), NFKC, transliterated
/// to ASCII (Unidecode), then `[^\w\s-]` → ``, leading and trailing whitespace removed,
/// `[-\s]+` → `-`, lower case.
pub fn pelican_slugify(value: &str) -> String {
    let value: String = strip_tags(value).nfkc().collect();
    let mut ascii = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else if !unidecode_drops(c) {
            ascii.push_str(deunicode::deunicode_char(c).unwrap_or(""));
        }
    }
    let is_space = |c: char| {
        matches!(
            c,
            ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1f'
        )
    };
    let kept: String = ascii
        .chars()
        .filter(|&c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || is_space(c))
        .collect();
    let mut slug = String::with_capacity(kept.len());
    let mut in_run = false;
    for c in kept.trim_matches(is_space).chars() {
        if c == '-' || is_space(c) {
            if !in_run {
                slug.push('-');
            }
            in_run = true;
        } else {
            slug.push(c.to_ascii_lowercase());
            in_run = false;
        }
    }
    slug
}

/// Ranges of the BMP where Python's Unidecode (which Pelican uses) gives nothing a slug keeps,
/// while `deunicode` spells a name (`✨` → `sparkles`): found by comparing both on every
/// character. Beyond the BMP (emoji), Unidecode gives nothing at all.
pub(super) const UNIDECODE_EMPTY: &[(u32, u32)] = &[
    (0x02E0, 0x02EB),
    (0x02ED, 0x0362),
    (0x0370, 0x0385),
    (0x03CF, 0x03D9),
    (0x03F4, 0x03FF),
    (0x048A, 0x048D),
    (0x04C5, 0x04C6),
    (0x04C9, 0x04CA),
    (0x04CD, 0x04CF),
    (0x04F6, 0x04F7),
    (0x04FA, 0x0530),
    (0x0557, 0x0560),
    (0x0587, 0x0589),
    (0x058B, 0x05B0),
    (0x05BF, 0x05C5),
    (0x05F3, 0x0621),
    (0x063B, 0x0640),
    (0x0652, 0x065F),
    (0x066A, 0x0678),
    (0x06D0, 0x06D1),
    (0x06D6, 0x06EF),
    (0x06FF, 0x0704),
    (0x072D, 0x072F),
    (0x0747, 0x077F),
    (0x07B0, 0x0900),
    (0x0904, 0x0904),
    (0x093A, 0x093D),
    (0x094D, 0x094F),
    (0x0951, 0x095F),
    (0x0970, 0x0980),
    (0x09CD, 0x09DF),
    (0x09FA, 0x0A01),
    (0x0A03, 0x0A04),
    (0x0A75, 0x0A80),
    (0x0A8C, 0x0A8C),
    (0x0AE1, 0x0AE5),
    (0x0AF0, 0x0B00),
    (0x0B34, 0x0B35),
    (0x0B44, 0x0B46),
    (0x0B62, 0x0B65),
    (0x0B70, 0x0B81),
    (0x0BB6, 0x0BB6),
    (0x0BCD, 0x0BE5),
    (0x0BF3, 0x0C00),
    (0x0C04, 0x0C04),
    (0x0C34, 0x0C34),
    (0x0C4D, 0x0C5F),
    (0x0C62, 0x0C65),
    (0x0C70, 0x0C81),
    (0x0CCD, 0x0CDD),
    (0x0CE2, 0x0CE5),
    (0x0CF0, 0x0D01),
    (0x0D04, 0x0D04),
    (0x0D29, 0x0D29),
    (0x0D3A, 0x0D3D),
    (0x0D44, 0x0D45),
    (0x0D4D, 0x0D5F),
    (0x0D62, 0x0D65),
    (0x0D70, 0x0D81),
    (0x0DE0, 0x0DF1),
    (0x0E85, 0x0E86),
    (0x0E89, 0x0E89),
    (0x0E8B, 0x0E8C),
    (0x0E8E, 0x0E93),
    (0x0E98, 0x0E98),
    (0x0EA0, 0x0EA0),
    (0x0EA8, 0x0EA9),
    (0x0EAC, 0x0EAF),
    (0x0EB1, 0x0EB1),
    (0x0EDA, 0x0EFF),
    (0x0F15, 0x0F1F),
    (0x0F6B, 0x0F70),
    (0x0F81, 0x0F8F),
    (0x0FC4, 0x0FFF),
    (0x1028, 0x1028),
    (0x102B, 0x102B),
    (0x1033, 0x1035),
    (0x1037, 0x103F),
    (0x105A, 0x109F),
    (0x10C6, 0x10CF),
    (0x10F7, 0x10FA),
    (0x10FC, 0x10FF),
    (0x1120, 0x1120),
    (0x113C, 0x113F),
    (0x114E, 0x1151),
    (0x1154, 0x1155),
    (0x115A, 0x1160),
    (0x11A3, 0x11A7),
    (0x11EE, 0x11EE),
    (0x11FA, 0x11FF),
    (0x1207, 0x1207),
    (0x1247, 0x1247),
    (0x1287, 0x1287),
    (0x12A2, 0x12A2),
    (0x12AF, 0x12AF),
    (0x12CF, 0x12CF),
    (0x12EF, 0x12EF),
    (0x130F, 0x130F),
    (0x131F, 0x131F),
    (0x1347, 0x1347),
    (0x137D, 0x139F),
    (0x13F5, 0x1400),
    (0x1426, 0x1426),
    (0x1677, 0x167F),
    (0x16F1, 0x177F),
    (0x17C9, 0x17CB),
    (0x17CD, 0x17D4),
    (0x17EA, 0x17FF),
    (0x1806, 0x1806),
    (0x180A, 0x180F),
    (0x1878, 0x1880),
    (0x18A9, 0x1CFF),
    (0x1D10, 0x1D10),
    (0x1D12, 0x1D12),
    (0x1D16, 0x1D17),
    (0x1D23, 0x1D2E),
    (0x1D4F, 0x1D6B),
    (0x1D78, 0x1D7C),
    (0x1D7E, 0x1D7F),
    (0x1D8B, 0x1D8B),
    (0x1D8F, 0x1DFF),
    (0x1E9A, 0x1E9D),
    (0x1E9F, 0x1E9F),
    (0x1EFA, 0x1EFF),
    (0x2047, 0x204A),
    (0x204C, 0x209F),
    (0x20C0, 0x2116),
    (0x2118, 0x211E),
    (0x2124, 0x212D),
    (0x2133, 0x214C),
    (0x214F, 0x217F),
    (0x2182, 0x218F),
    (0x21F1, 0x2211),
    (0x2213, 0x24EA),
    (0x25F0, 0x2653),
    (0x2668, 0x27E8),
    (0x27EA, 0x27FF),
    (0x2900, 0x2983),
    (0x2985, 0x2C5F),
    (0x2C6D, 0x2C6D),
    (0x2C70, 0x2DFF),
    (0x2E10, 0x2E19),
    (0x2E22, 0x2E2F),
    (0x2E31, 0x2E39),
    (0x2E3D, 0x2E42),
    (0x2E44, 0x3000),
    (0x3038, 0x3040),
    (0x3095, 0x30A0),
    (0x312D, 0x319F),
    (0x31B8, 0x327E),
    (0x3280, 0x4DFF),
    (0x9FA6, 0x9FFF),
    (0xA4C7, 0xABFF),
    (0xD7A4, 0xFFFF),
];

/// Whether Unidecode turns `c` into nothing a slug keeps.
pub(super) fn unidecode_drops(c: char) -> bool {
    let c = c as u32;
    c > 0xFFFF
        || UNIDECODE_EMPTY
            .binary_search_by(|&(start, end)| {
                if end < c {
                    std::cmp::Ordering::Less
                } else if start > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// markupsafe's `Markup.striptags`: comments then tags removed, whitespace collapsed, HTML
/// entities decoded.
pub(super) fn strip_tags(value: &str) -> String {
    let mut text = value.to_string();
    while let Some(start) = text.find("<!--") {
        let Some(end) = text[start..].find("-->") else {
            break;
        };
        text.replace_range(start..start + end + 3, "");
    }
    while let Some(start) = text.find('<') {
        let Some(end) = text[start..].find('>') else {
            break;
        };
        text.replace_range(start..start + end + 1, "");
    }
    unescape_html(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Decodes numeric entities and the named ones French titles use.
pub(super) fn unescape_html(text: &str) -> String {
    const NAMED: &[(&str, &str)] = &[
        ("amp", "&"),
        ("lt", "<"),
        ("gt", ">"),
        ("quot", "\""),
        ("apos", "'"),
        ("nbsp", "\u{a0}"),
        ("eacute", "é"),
        ("egrave", "è"),
        ("ecirc", "ê"),
        ("euml", "ë"),
        ("agrave", "à"),
        ("acirc", "â"),
        ("ccedil", "ç"),
        ("icirc", "î"),
        ("iuml", "ï"),
        ("ocirc", "ô"),
        ("ucirc", "û"),
        ("ugrave", "ù"),
        ("oelig", "œ"),
        ("Eacute", "É"),
        ("laquo", "«"),
        ("raquo", "»"),
        ("hellip", "…"),
        ("rsquo", "’"),
        ("lsquo", "‘"),
        ("ndash", "–"),
        ("mdash", "—"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &after[..end];
            let c = if let Some(num) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(num, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
            } else if let Some(num) = name.strip_prefix('#') {
                num.parse().ok().and_then(char::from_u32).map(String::from)
            } else {
                NAMED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push_str(&c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_pelican() {
        assert_eq!(
            pelican_slugify("Écrire des tests, c'est facile !"),
            "ecrire-des-tests-cest-facile"
        );
        assert_eq!(
            pelican_slugify("Python 3.12 : les nouveautés"),
            "python-312-les-nouveautes"
        );
        assert_eq!(
            pelican_slugify("  Les <em>bases</em> de mon_module  "),
            "les-bases-de-mon_module"
        );
        assert_eq!(pelican_slugify("L’œuvre — à l'été"), "loeuvre-a-lete");
        assert_eq!(pelican_slugify("Django &amp; REST"), "django-rest");
        assert_eq!(pelican_slugify("Python 🐍 rocks"), "python-rocks");
        assert_eq!(pelican_slugify("a -- b"), "a-b");
        // Checked against Pelican 4.12's `slugify` with its default settings.
        assert_eq!(
            pelican_slugify("✨ Nouveautés ★ 2024 ©"),
            "nouveautes-2024-c"
        );
        assert_eq!(
            pelican_slugify("Déployer Django → la prod"),
            "deployer-django-la-prod"
        );
        assert_eq!(pelican_slugify("Naïve « citation » …"), "naive-citation");
        assert_eq!(pelican_slugify("Ünïcödé straße"), "unicode-strasse");
    }
}
