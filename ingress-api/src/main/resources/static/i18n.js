// Texts of the web app in English and Simplified Chinese; refusal codes of the API have their own line.
export const texts = {
  en: {
    title: 'QR e-voucher', signIn: 'Sign in', signInHint: 'Demo customers of the embedded run', signedInAs: 'Signed in as',
    signOut: 'Sign out', generate: 'Generate', redeem: 'Redeem', manage: 'Manage', settings: 'Settings',
    account: 'Account', amount: 'Amount', validUntil: 'Valid until (optional)', generateVoucher: 'Generate voucher',
    status: 'Status', expiresIn: 'Expires in', download: 'Download QR', another: 'Generate another',
    scan: 'Scan with the camera', openPicture: 'Open a picture of a QR code', amountOptional: 'Amount (empty: the full value)',
    destination: 'Into', ownAccount: 'My account', otherBank: 'Another bank', bank: 'Bank', holder: 'Holder name',
    number: 'Account number', confirmRedeem: 'Redeem', generated: 'Generated', redeemed: 'Redeemed', anyStatus: 'Any status',
    show: 'Show', cancel: 'Cancel', defaultGeneration: 'Default account to generate from',
    defaultRedemption: 'Default account to redeem into', redemptionMode: 'Redemption mode',
    scanThenConfirm: 'Scan, then confirm', redeemOnScan: 'Redeem right after scanning', stepUp: 'Confirm with my password',
    everyTime: 'Every time', firstTimeOnly: 'Only the first time', save: 'Save', saved: 'Saved',
    available: 'available', validUntilShort: 'Valid until', none: 'None', nothing: 'No vouchers', expired: 'expired', confirmStepUp: 'Confirm this voucher with your password (demo: sign in again).',
    redeemedOk: 'Redeemed {amount} {currency}', pending: 'Processing…', working: 'Working…',
    statuses: { PENDING: 'Pending', UNUSED: 'Unused', REJECTED: 'Rejected', REDEEMING: 'Redeeming', REDEEMED: 'Redeemed',
      REDEEM_FAILED: 'Redemption failed', CANCELLED: 'Cancelled', EXPIRED: 'Expired' },
    reasons: {
      INSUFFICIENT_FUNDS: 'Not enough available balance.', DAILY_LIMIT_EXCEEDED: 'This would exceed the account\'s daily limit.',
      AMOUNT_EXCEEDS_VOUCHER_CAP: 'A voucher may hold at most 1,000.00.', INVALID_AMOUNT: 'Enter an amount such as 12.34.',
      ALREADY_REDEEMED: 'This voucher has already been redeemed.', EXPIRED: 'This voucher has expired.',
      CANCELLED: 'This voucher was cancelled.', INVALID_CODE: 'This is not a valid voucher code.',
      QR_UNREADABLE: 'No QR code could be read in that picture. Try a sharper one.', INVALID_IMAGE: 'That file is not a PNG or JPEG picture.',
      AMOUNT_EXCEEDS_FACE_VALUE: 'That is more than the voucher is worth.', DESTINATION_REQUIRED: 'Choose the account to receive the money.',
      ACCOUNT_NOT_FOUND: 'Choose one of your accounts.', NOT_OWNER: 'Only the payer may do this.',
      VOUCHER_NOT_ISSUED: 'This voucher is not ready yet.', STEP_UP_REQUIRED: 'Confirm with your password first.',
      TOO_MANY_WRONG_CODES: 'Too many invalid codes. Try again later.', VALIDITY_IN_PAST: 'The validity must end in the future.',
      VALIDITY_TOO_LONG: 'A voucher is valid until the end of today at the latest.', DESTINATION_NOT_ACTIVE: 'The receiving account is not active.',
      INVALID_EXTERNAL_ACCOUNT: 'Give the bank, the holder name and the account number.', TEMPORARILY_UNAVAILABLE: 'The service is busy. Try again.',
      CAMERA_UNAVAILABLE: 'The camera cannot be used here; open a picture instead.', UNKNOWN: 'The request was refused.'
    }
  },
  zh: {
    title: '二维码电子券', signIn: '登录', signInHint: '演示客户', signedInAs: '当前用户', signOut: '退出',
    generate: '生成', redeem: '兑付', manage: '管理', settings: '设置', account: '账户', amount: '金额',
    validUntil: '有效期至（可选）', generateVoucher: '生成电子券', status: '状态', expiresIn: '剩余时间', download: '下载二维码',
    another: '再生成一张', scan: '扫码', openPicture: '打开二维码图片', amountOptional: '金额（留空为全额）', destination: '收款至',
    ownAccount: '本人账户', otherBank: '他行账户', bank: '银行', holder: '户名', number: '账号', confirmRedeem: '确认兑付',
    generated: '我生成的', redeemed: '我兑付的', anyStatus: '全部状态', show: '查询', cancel: '撤销',
    defaultGeneration: '默认付款账户', defaultRedemption: '默认收款账户', redemptionMode: '兑付方式', scanThenConfirm: '扫码后确认',
    redeemOnScan: '扫码即兑付', stepUp: '密码确认', everyTime: '每次都需要', firstTimeOnly: '仅首次需要', save: '保存', saved: '已保存',
    available: '可用', validUntilShort: '有效期至', none: '无', nothing: '暂无电子券', expired: '已过期', confirmStepUp: '请输入账户密码确认（演示：重新登录）。',
    redeemedOk: '已兑付 {amount} {currency}', pending: '处理中…', working: '处理中…',
    statuses: { PENDING: '处理中', UNUSED: '未使用', REJECTED: '已拒绝', REDEEMING: '兑付中', REDEEMED: '已兑付',
      REDEEM_FAILED: '兑付失败', CANCELLED: '已撤销', EXPIRED: '已过期' },
    reasons: {
      INSUFFICIENT_FUNDS: '可用余额不足。', DAILY_LIMIT_EXCEEDED: '超过账户当日限额。', AMOUNT_EXCEEDS_VOUCHER_CAP: '单张电子券最多 1,000.00。',
      INVALID_AMOUNT: '请输入金额，例如 12.34。', ALREADY_REDEEMED: '该电子券已被兑付。', EXPIRED: '该电子券已过期。',
      CANCELLED: '该电子券已撤销。', INVALID_CODE: '这不是有效的电子券码。', QR_UNREADABLE: '图片中无法识别二维码，请换一张清晰的图片。',
      INVALID_IMAGE: '文件不是 PNG 或 JPEG 图片。', AMOUNT_EXCEEDS_FACE_VALUE: '金额超过电子券面值。', DESTINATION_REQUIRED: '请选择收款账户。',
      ACCOUNT_NOT_FOUND: '请选择您本人的账户。', NOT_OWNER: '仅付款人可以操作。', VOUCHER_NOT_ISSUED: '该电子券尚未生效。',
      STEP_UP_REQUIRED: '请先进行密码确认。', TOO_MANY_WRONG_CODES: '无效券码次数过多，请稍后再试。', VALIDITY_IN_PAST: '有效期必须晚于现在。',
      VALIDITY_TOO_LONG: '电子券最长有效至今日结束。', DESTINATION_NOT_ACTIVE: '收款账户不可用。',
      INVALID_EXTERNAL_ACCOUNT: '请填写银行、户名和账号。', TEMPORARILY_UNAVAILABLE: '服务繁忙，请重试。',
      CAMERA_UNAVAILABLE: '无法使用摄像头，请改为打开图片。', UNKNOWN: '请求被拒绝。'
    }
  }
};
